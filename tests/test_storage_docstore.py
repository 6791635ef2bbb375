"""DocumentStore: append, reload, refresh, compaction, damaged chunks, id checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from automerge import core as am

from goalsync.storage import DocumentStore, FileChunkStore, MemoryChunkStore, StorageKey
from goalsync.storage.docstore import SNAPSHOT
from goalsync.storage.fingerprint import fingerprint, fingerprint_keys
from helpers.storage_docs import DOC_ID, new_doc, put_goal, titles


class RecordingStore(MemoryChunkStore):
    """A real in-memory store that also records the calls made to it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, StorageKey]] = []

    def load(self, key: StorageKey) -> bytes | None:
        self.calls.append(("load", key))
        return super().load(key)

    def save(self, key: StorageKey, data: bytes) -> None:
        self.calls.append(("save", key))
        super().save(key, data)

    def remove(self, key: StorageKey) -> None:
        self.calls.append(("remove", key))
        super().remove(key)


def _edited(docs: DocumentStore, count: int) -> tuple[am.Document, set[StorageKey]]:
    """A stored document with ``count`` goals, one append per edit."""
    doc = new_doc()
    known: set[StorageKey] = set()
    docs.append(DOC_ID, doc, [], known)
    for i in range(count):
        heads = doc.get_heads()
        put_goal(doc, f"g{i}", f"goal {i}")
        docs.append(DOC_ID, doc, heads, known)
    return doc, known


@pytest.fixture(params=["memory", "file"])
def docs(request: pytest.FixtureRequest, tmp_path: Path) -> DocumentStore:
    if request.param == "memory":
        return DocumentStore(MemoryChunkStore())
    return DocumentStore(FileChunkStore(tmp_path / "data"))


def test_appended_edits_reload_equal(docs: DocumentStore) -> None:
    doc, known = _edited(docs, 5)
    loaded = docs.load(DOC_ID)
    assert titles(loaded.doc) == {f"g{i}": f"goal {i}" for i in range(5)}
    assert loaded.doc.get_heads() == doc.get_heads()
    assert loaded.known == known and len(known) == 6
    assert loaded.problems == []


def test_append_without_change_returns_none(docs: DocumentStore) -> None:
    doc, known = _edited(docs, 1)
    before = set(known)
    assert docs.append(DOC_ID, doc, doc.get_heads(), known) is None
    assert known == before


def test_load_uses_the_given_actor(docs: DocumentStore) -> None:
    _edited(docs, 1)
    actor = bytes(range(16))
    assert docs.load(DOC_ID, actor_id=actor).doc.get_actor() == actor
    assert docs.load("missingDocId123", actor_id=actor).doc.get_actor() == actor


def test_a_missing_document_loads_empty(docs: DocumentStore) -> None:
    loaded = docs.load(DOC_ID)
    assert loaded.doc.get_heads() == [] and loaded.known == set() and loaded.problems == []
    assert not docs.exists(DOC_ID)
    assert docs.documents() == []


def test_compaction_leaves_one_snapshot_that_reloads_equal(docs: DocumentStore) -> None:
    doc, known = _edited(docs, 4)
    key = docs.compact(DOC_ID, doc, known)
    assert key[:2] == (DOC_ID, SNAPSHOT) and known == {key}
    assert docs.chunks.list_range((DOC_ID,)) == [key]
    assert docs.sizes(DOC_ID)["incremental_count"] == 0
    assert docs.sizes(DOC_ID)["snapshot_count"] == 1
    loaded = docs.load(DOC_ID)
    assert titles(loaded.doc) == titles(doc) and loaded.doc.get_heads() == doc.get_heads()
    heads = doc.get_heads()
    put_goal(doc, "after", "compaction")
    docs.append(DOC_ID, doc, heads, known)
    assert titles(docs.load(DOC_ID).doc)["after"] == "compaction"


def test_compaction_writes_the_snapshot_before_removing_anything() -> None:
    chunks = RecordingStore()
    docs = DocumentStore(chunks)
    doc, known = _edited(docs, 3)
    old = set(known)
    chunks.calls.clear()
    key = docs.compact(DOC_ID, doc, known)
    order = [c for c in chunks.calls if c[0] in ("save", "remove")]
    assert order[0] == ("save", key)
    assert {k for op, k in order[1:] if op == "remove"} == old
    assert all(op == "remove" for op, _ in order[1:])


def test_compaction_keeps_a_chunk_written_while_it_runs(tmp_path: Path) -> None:
    """Another writer appends between this compactor's refresh and its removals."""
    other_docs = DocumentStore(FileChunkStore(tmp_path))
    doc, known = _edited(other_docs, 2)
    other = other_docs.load(DOC_ID, actor_id=bytes([7]) * 16)

    class Interleaving(FileChunkStore):
        def save(self, key: StorageKey, data: bytes) -> None:
            super().save(key, data)
            if key[1] == SNAPSHOT:
                heads = other.doc.get_heads()
                put_goal(other.doc, "late", "written during compaction")
                other_docs.append(DOC_ID, other.doc, heads, other.known)

    compactor = DocumentStore(Interleaving(tmp_path))
    compactor.compact(DOC_ID, doc, known)
    assert titles(compactor.load(DOC_ID).doc)["late"] == "written during compaction"
    assert compactor.refresh(DOC_ID, doc, known)
    assert titles(doc)["late"] == "written during compaction"


def test_refresh_takes_in_another_writers_chunks(docs: DocumentStore) -> None:
    doc, known = _edited(docs, 1)
    other = docs.load(DOC_ID, actor_id=bytes([9]) * 16)
    heads = other.doc.get_heads()
    put_goal(other.doc, "theirs", "from the other writer")
    key = docs.append(DOC_ID, other.doc, heads, other.known)
    assert docs.refresh(DOC_ID, doc, known) == [key]
    assert titles(doc)["theirs"] == "from the other writer" and key in known
    assert docs.refresh(DOC_ID, doc, known) == []


def test_refresh_after_another_writer_compacted(docs: DocumentStore) -> None:
    doc, known = _edited(docs, 2)
    other = docs.load(DOC_ID, actor_id=bytes([9]) * 16)
    heads = other.doc.get_heads()
    put_goal(other.doc, "theirs", "t")
    docs.append(DOC_ID, other.doc, heads, other.known)
    snap = docs.compact(DOC_ID, other.doc, other.known)
    assert docs.refresh(DOC_ID, doc, known) == [snap]
    assert known == {snap}  # the compacted-away keys are forgotten
    assert titles(doc) == titles(other.doc)


def test_refresh_of_a_snapshot_already_in_the_doc_does_not_load_it() -> None:
    chunks = RecordingStore()
    docs = DocumentStore(chunks)
    doc, known = _edited(docs, 2)
    other = docs.load(DOC_ID, actor_id=bytes([9]) * 16)
    snap = docs.compact(DOC_ID, other.doc, other.known)
    heads = doc.get_heads()
    assert docs.refresh(DOC_ID, doc, known) == [snap]
    assert doc.get_heads() == heads and known == {snap}


def test_fingerprint_follows_the_set_of_chunks_without_reading_them() -> None:
    chunks = RecordingStore()
    docs = DocumentStore(chunks)
    empty = docs.fingerprint(DOC_ID)
    doc, known = _edited(docs, 1)
    first = docs.fingerprint(DOC_ID)
    assert first != empty
    chunks.calls.clear()
    assert docs.fingerprint(DOC_ID) == first
    assert docs.refresh(DOC_ID, doc, known) == []
    assert [c for c in chunks.calls if c[0] == "load"] == []
    heads = doc.get_heads()
    put_goal(doc, "x", "y")
    docs.append(DOC_ID, doc, heads, known)
    second = docs.fingerprint(DOC_ID)
    assert second != first
    docs.compact(DOC_ID, doc, known)
    assert docs.fingerprint(DOC_ID) not in (first, second)


def test_sizes_documents_exists_and_remove(docs: DocumentStore) -> None:
    _edited(docs, 2)
    docs.chunks.save((DOC_ID, "sync-state", "peer"), b"s")
    sizes = docs.sizes(DOC_ID)
    assert sizes["incremental_count"] == 3 and sizes["incremental_bytes"] > 100
    assert sizes["snapshot_count"] == 0 and sizes["snapshot_bytes"] == 0
    assert docs.documents() == [DOC_ID] and docs.exists(DOC_ID)
    docs.remove(DOC_ID)
    assert not docs.exists(DOC_ID) and docs.documents() == []
    assert docs.chunks.list_range((DOC_ID,)) == []


@pytest.mark.parametrize("bad", ["../x", "ab", "a/b/c", "", "abc def", "..", "x\x00yz"])
def test_unsafe_document_ids_are_rejected(docs: DocumentStore, bad: str) -> None:
    doc = new_doc()
    for call in (
        lambda: docs.load(bad),
        lambda: docs.append(bad, doc, [], set()),
        lambda: docs.fingerprint(bad),
        lambda: docs.remove(bad),
        lambda: docs.compact(bad, doc, set()),
    ):
        with pytest.raises(ValueError, match="invalid document id"):
            call()


# -- damaged chunks -------------------------------------------------------------------------


def _independent_incrementals(docs: DocumentStore, count: int) -> list[StorageKey]:
    """A snapshot and ``count`` incrementals that each depend on it only."""
    base = new_doc()
    known: set[StorageKey] = set()
    docs.append(DOC_ID, base, [], known)
    docs.compact(DOC_ID, base, known)
    keys = []
    for i in range(count):
        writer = base.fork()
        writer.set_actor(bytes([i + 1]) * 16)
        heads = writer.get_heads()
        put_goal(writer, f"w{i}", f"writer {i}")
        key = docs.append(DOC_ID, writer, heads, set())
        assert key is not None
        keys.append(key)
    return keys


def test_damaged_chunks_are_moved_aside_and_the_rest_loads(tmp_path: Path) -> None:
    files = FileChunkStore(tmp_path / "data")
    docs = DocumentStore(files)
    keys = _independent_incrementals(docs, 4)
    before = {p.read_bytes() for p in files.root.rglob("*") if p.is_file()}
    truncated, garbled = keys[1], keys[2]
    path = files.path_of(truncated)
    path.write_bytes(path.read_bytes()[:-7])
    raw = bytearray(files.path_of(garbled).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    files.path_of(garbled).write_bytes(bytes(raw))

    loaded = docs.load(DOC_ID)

    assert titles(loaded.doc) == {"w0": "writer 0", "w3": "writer 3"}
    assert len(loaded.problems) == 2
    assert any(truncated[2] in p and "truncated" in p for p in loaded.problems)
    assert any(garbled[2] in p and "checksum" in p for p in loaded.problems)
    moved = sorted((files.root / "quarantine" / DOC_ID).iterdir())
    assert sorted(p.name.split(".")[0] for p in moved) == sorted([truncated[2], garbled[2]])
    assert not files.path_of(truncated).exists() and not files.path_of(garbled).exists()
    after = {p.read_bytes() for p in files.root.rglob("*") if p.is_file()}
    assert len(after) == len(before)  # nothing deleted: damaged bytes kept aside
    assert docs.load(DOC_ID).problems == []  # it stays fixed


def test_a_chunk_waiting_for_a_damaged_one_is_kept_not_compacted(tmp_path: Path) -> None:
    files = FileChunkStore(tmp_path / "data")
    docs = DocumentStore(files)
    doc = new_doc()
    known: set[StorageKey] = set()
    order = [docs.append(DOC_ID, doc, [], known)]
    for i in range(3):
        heads = doc.get_heads()
        put_goal(doc, f"g{i}", f"goal {i}")
        order.append(docs.append(DOC_ID, doc, heads, known))
    damaged = order[1]  # the chunks of g1 and g2 depend on it
    assert damaged is not None
    files.path_of(damaged).write_bytes(b"\x85\x6f\x4a\x83 garbage")

    loaded = docs.load(DOC_ID)
    assert titles(loaded.doc) == {}
    assert [p for p in loaded.problems if "damaged" in p and damaged[2] in p]
    assert len([p for p in loaded.problems if "depends on changes" in p]) == 2
    docs.compact(DOC_ID, loaded.doc, loaded.known)
    for key in order[2:]:
        assert key is not None and files.load(key) is not None, "a waiting chunk was deleted"

    docs.append(DOC_ID, doc, [], known)  # the writer still has every change: store them again
    healed = docs.load(DOC_ID)
    assert titles(healed.doc) == titles(doc) and healed.problems == []


def test_a_damaged_snapshot_is_moved_aside(tmp_path: Path) -> None:
    files = FileChunkStore(tmp_path / "data")
    docs = DocumentStore(files)
    doc, known = _edited(docs, 2)
    snap = docs.compact(DOC_ID, doc, known)
    raw = bytearray(files.path_of(snap).read_bytes())
    raw[-3] ^= 0x55
    files.path_of(snap).write_bytes(bytes(raw))
    loaded = docs.load(DOC_ID)
    assert loaded.known == set() and loaded.doc.get_heads() == []
    assert len(loaded.problems) == 1 and snap[2] in loaded.problems[0]
    [kept] = (files.root / "quarantine" / DOC_ID).iterdir()
    assert kept.read_bytes() == bytes(raw)


def test_a_writers_known_keys_give_the_stored_fingerprint(docs: DocumentStore) -> None:
    doc, known = _edited(docs, 2)
    assert fingerprint_keys(known) == docs.fingerprint(DOC_ID)
    assert fingerprint(docs.chunks, DOC_ID) == docs.fingerprint(DOC_ID)
    docs.compact(DOC_ID, doc, known)
    assert fingerprint_keys(known) == docs.fingerprint(DOC_ID)
