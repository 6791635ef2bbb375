"""ChunkStore acceptance suite (run against every implementation), layout and modes."""

from __future__ import annotations

import hashlib
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from goalsync.storage import (
    ChunkStore,
    DocumentStore,
    FileChunkStore,
    MemoryChunkStore,
    storage_id,
)
from goalsync.storage.chunks import heads_name
from helpers.storage_docs import DOC_ID, new_doc, put_goal, titles

PAYLOAD_A = bytes(range(256)) * 3
PAYLOAD_B = b"second value"


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ChunkStore:
    if request.param == "memory":
        return MemoryChunkStore()
    return FileChunkStore(tmp_path / "data")


# -- the acceptance suite (like automerge-repo's runStorageAdapterTests) ----------------------


def test_load_of_a_missing_key_is_none(store: ChunkStore) -> None:
    assert store.load(("AAAAA", "sync-state", "xxxxx")) is None


def test_save_then_load_returns_the_bytes(store: ChunkStore) -> None:
    store.save(("AAAAA", "sync-state", "xxxxx"), PAYLOAD_A)
    assert store.load(("AAAAA", "sync-state", "xxxxx")) == PAYLOAD_A


def test_save_overwrites(store: ChunkStore) -> None:
    store.save(("AAAAA", "snapshot", "s1"), PAYLOAD_A)
    store.save(("AAAAA", "snapshot", "s1"), PAYLOAD_B)
    assert store.load(("AAAAA", "snapshot", "s1")) == PAYLOAD_B


def test_empty_value_round_trips(store: ChunkStore) -> None:
    store.save(("AAAAA", "x", "empty"), b"")
    assert store.load(("AAAAA", "x", "empty")) == b""


def _fill(store: ChunkStore) -> None:
    store.save(("AAAAA", "sync-state", "one"), PAYLOAD_A)
    store.save(("AAAAA", "snapshot", "two"), PAYLOAD_B)
    store.save(("AAAAA", "incremental", "three"), b"3")
    store.save(("BBBBB", "sync-state", "one"), b"b")


def test_load_range_returns_only_keys_under_the_prefix(store: ChunkStore) -> None:
    _fill(store)
    got = dict(store.load_range(("AAAAA",)))
    assert got == {
        ("AAAAA", "sync-state", "one"): PAYLOAD_A,
        ("AAAAA", "snapshot", "two"): PAYLOAD_B,
        ("AAAAA", "incremental", "three"): b"3",
    }
    assert store.load_range(("AAAAA", "snapshot")) == [(("AAAAA", "snapshot", "two"), PAYLOAD_B)]
    assert store.load_range(("CCCCC",)) == []


def test_prefix_matches_whole_parts_not_string_prefixes(store: ChunkStore) -> None:
    store.save(("AAAAA", "snap", "x"), b"1")
    store.save(("AAAAA", "snapshot", "y"), b"2")
    assert store.list_range(("AAAAA", "snap")) == [("AAAAA", "snap", "x")]


def test_list_range_names_the_same_keys_as_load_range(store: ChunkStore) -> None:
    _fill(store)
    for prefix in [(), ("AAAAA",), ("BBBBB", "sync-state")]:
        assert store.list_range(prefix) == [k for k, _ in store.load_range(prefix)]
    assert len(store.list_range(())) == 4


def test_remove_deletes_one_key_and_ignores_missing_ones(store: ChunkStore) -> None:
    _fill(store)
    store.remove(("AAAAA", "snapshot", "two"))
    store.remove(("AAAAA", "snapshot", "two"))
    store.remove(("ZZZZZ", "snapshot", "nothing"))
    assert store.load(("AAAAA", "snapshot", "two")) is None
    assert store.load(("AAAAA", "sync-state", "one")) == PAYLOAD_A


def test_remove_range_deletes_only_under_the_prefix(store: ChunkStore) -> None:
    _fill(store)
    store.remove_range(("AAAAA", "sync-state"))
    assert store.list_range(("AAAAA",)) == [
        ("AAAAA", "incremental", "three"),
        ("AAAAA", "snapshot", "two"),
    ]
    store.remove_range(("AAAAA",))
    assert store.list_range(()) == [("BBBBB", "sync-state", "one")]


def test_create_saves_only_when_absent(store: ChunkStore) -> None:
    assert store.create(("AAAAA", "k"), b"first")  # type: ignore[attr-defined]
    assert not store.create(("AAAAA", "k"), b"second")  # type: ignore[attr-defined]
    assert store.load(("AAAAA", "k")) == b"first"


@pytest.mark.parametrize(
    "key",
    [
        ("../etc", "passwd"),
        ("AAAAA", ".."),
        ("AAAAA", "."),
        ("AAAAA", "a/b"),
        ("AAAAA", ".hidden"),
        ("AAAAA", ""),
        ("ab", "snapshot"),
        ("AAAAA", "a\x00b"),
        (),
    ],
)
def test_unsafe_keys_are_rejected(store: ChunkStore, key: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="storage key"):
        store.save(key, b"x")
    with pytest.raises(ValueError, match="storage key"):
        store.load(key)


def test_storage_id_is_a_uuid4_created_once(store: ChunkStore) -> None:
    first = storage_id(store)
    assert uuid.UUID(first).version == 4
    assert storage_id(store) == first
    assert store.load(("storage-adapter-id",)) == first.encode()


def test_quarantine_moves_a_chunk_out_of_the_tree(store: ChunkStore) -> None:
    _fill(store)
    where = store.quarantine(("AAAAA", "snapshot", "two"))  # type: ignore[attr-defined]
    assert where is not None and "quarantine" in where
    assert store.load(("AAAAA", "snapshot", "two")) is None
    assert ("AAAAA", "snapshot", "two") not in store.list_range(())
    assert store.quarantine(("AAAAA", "snapshot", "two")) is None  # type: ignore[attr-defined]


# -- the file store: nodefs layout -------------------------------------------------------------


def test_keys_map_to_nodefs_paths(tmp_path: Path) -> None:
    root = tmp_path / "data"
    files = FileChunkStore(root)
    files.save((DOC_ID, "sync-state", "peer-1"), b"state")
    assert (root / DOC_ID[:2] / DOC_ID[2:] / "sync-state" / "peer-1").read_bytes() == b"state"
    sid = storage_id(files)
    assert (root / "st" / "orage-adapter-id").read_text() == sid


def test_documents_are_stored_as_snapshot_and_incremental_files(tmp_path: Path) -> None:
    root = tmp_path / "data"
    docs = DocumentStore(FileChunkStore(root))
    doc = new_doc()
    known: set[tuple[str, ...]] = set()
    docs.append(DOC_ID, doc, [], known)
    doc_dir = root / "3T" / DOC_ID[2:]
    [inc] = (doc_dir / "incremental").iterdir()
    assert inc.name == hashlib.sha256(inc.read_bytes()).hexdigest()
    docs.compact(DOC_ID, doc, known)
    [snap] = (doc_dir / "snapshot").iterdir()
    assert snap.name == heads_name(doc.get_heads())
    assert snap.read_bytes()[:4] == b"\x85\x6f\x4a\x83"
    assert list((doc_dir / "incremental").iterdir()) == []


def test_a_tree_written_by_another_nodefs_server_loads(tmp_path: Path) -> None:
    """Files laid out by hand, as the JS server writes them, are read back."""
    doc = new_doc()
    put_goal(doc, "g1", "from js")
    saved = doc.save()
    snap_dir = tmp_path / DOC_ID[:2] / DOC_ID[2:] / "snapshot"
    snap_dir.mkdir(parents=True)
    (snap_dir / heads_name(doc.get_heads())).write_bytes(saved)
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "orage-adapter-id").write_text("3760df37-a4c6-4f66-9ecd-732039a9385c")
    files = FileChunkStore(tmp_path)
    assert storage_id(files) == "3760df37-a4c6-4f66-9ecd-732039a9385c"
    assert DocumentStore(files).documents() == [DOC_ID]
    assert titles(DocumentStore(files).load(DOC_ID).doc) == {"g1": "from js"}


def test_temporary_and_foreign_files_are_not_keys(tmp_path: Path) -> None:
    files = FileChunkStore(tmp_path)
    files.save((DOC_ID, "incremental", "abc"), b"x")
    inc_dir = tmp_path / DOC_ID[:2] / DOC_ID[2:] / "incremental"
    (inc_dir / ".abc.123.tmp").write_bytes(b"half written")
    (tmp_path / "mirror.db").write_bytes(b"not a chunk")
    assert files.list_range(()) == [(DOC_ID, "incremental", "abc")]


# -- modes, whatever the umask -----------------------------------------------------------------


@pytest.fixture(params=[0o000, 0o022])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def test_every_dir_is_0700_and_every_file_0600(tmp_path: Path, umask: int) -> None:
    root = tmp_path / "data"
    files = FileChunkStore(root)
    docs = DocumentStore(files)
    storage_id(files)
    doc = new_doc()
    known: set[tuple[str, ...]] = set()
    docs.append(DOC_ID, doc, [], known)
    docs.compact(DOC_ID, doc, known)  # takes the lock
    heads = doc.get_heads()
    put_goal(doc, "g2", "two")
    bad = docs.append(DOC_ID, doc, heads, known)
    assert bad is not None
    files.path_of(bad).write_bytes(b"garbage")
    assert docs.load(DOC_ID).problems  # quarantined
    seen = {"dirs": 0, "files": 0}
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        kind = "dirs" if path.is_dir() else "files"
        seen[kind] += 1
        assert mode == (0o700 if kind == "dirs" else 0o600), f"{path}: {oct(mode)}"
    assert (root / "quarantine" / DOC_ID).is_dir()
    assert (root / "locks" / f"{DOC_ID}.lock").is_file()
    assert seen["dirs"] >= 8 and seen["files"] >= 4


def test_stale_temporary_files_of_a_crashed_writer_are_swept(tmp_path: Path) -> None:
    files = FileChunkStore(tmp_path)
    files.save((DOC_ID, "incremental", "abc"), b"x")
    inc_dir = tmp_path / DOC_ID[:2] / DOC_ID[2:] / "incremental"
    stale, fresh = inc_dir / ".abc.1.aa.tmp", inc_dir / ".abc.2.bb.tmp"
    stale.write_bytes(b"left by a crash")
    fresh.write_bytes(b"being written now")
    os.utime(stale, (1_000_000_000, 1_000_000_000))
    assert files.remove_stale_temporaries((DOC_ID,)) == 1
    assert not stale.exists() and fresh.exists()
    assert files.load((DOC_ID, "incremental", "abc")) == b"x"
