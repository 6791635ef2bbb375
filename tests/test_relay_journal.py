"""The relay's journal: durable before acknowledged, moved into the store, replayed after
a crash, a torn tail kept aside, files made of zeros ahead of need; and a relay killed
outright loses no acknowledged edit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from automerge import core as am
from websockets.asyncio.client import connect

from goalsync.protocol.docid import new_document_id
from goalsync.protocol.messages import Sync
from goalsync.relay import Relay, TokenStore
from goalsync.relay.journal import SEGMENT, Journal, JournalInUse
from goalsync.repo.client import sync_once
from goalsync.repo.docsync import DocSync
from goalsync.storage import DocumentStore, FileChunkStore, MemoryChunkStore
from helpers.relay_peers import RawPeer, edit, keys, new_doc
from test_relay_process import RelayProcess


def _changes(**values: str) -> tuple[am.Document, bytes]:
    doc = new_doc(**values)
    return doc, b"".join(c.bytes for c in doc.get_changes([]))


def _store(tmp_path: Path) -> DocumentStore:
    return DocumentStore(FileChunkStore(tmp_path / "repo"))


def _journal_files(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "journal").glob("journal-*"))


def _record_size(doc_id: str, data: bytes) -> int:
    """A record's bytes in the file: magic, length and CRC32 (10), the id's length, the id."""
    return 10 + 1 + len(doc_id) + len(data)


def _incremental(store: DocumentStore, doc_id: str) -> bytes:
    """What recovery moved for ``doc_id``: its changes, concatenated, in one incremental."""
    ((_, data),) = store.chunks.load_range((doc_id, "incremental"))
    return data


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


_CRASHER = """
import asyncio, os, sys
from pathlib import Path
from goalsync.relay.journal import Journal
from goalsync.storage import DocumentStore, FileChunkStore

async def main(root, doc_id, chunks):
    journal = Journal(root / "journal", DocumentStore(FileChunkStore(root / "repo")))
    journal.recover()
    for chunk in chunks:
        await journal.commit(doc_id, bytes.fromhex(chunk))
    os._exit(9)  # acknowledged, then the process dies: no checkpoint, no close

asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3:]))
"""


def _crash_after_commits(tmp_path: Path, doc_id: str, *chunks: bytes) -> None:
    """Commit ``chunks`` in another process that then dies without closing the journal."""
    argv = [sys.executable, "-c", _CRASHER, str(tmp_path), doc_id, *(c.hex() for c in chunks)]
    assert subprocess.run(argv, check=False, timeout=60).returncode == 9


async def test_committed_changes_are_pending_then_moved_into_the_store(tmp_path: Path) -> None:
    store = _store(tmp_path)
    journal = Journal(tmp_path / "journal", store)
    journal.recover()
    doc_id = new_document_id()
    doc, data = _changes(a="1")
    await asyncio.gather(journal.commit(doc_id, data), journal.commit(new_document_id(), data))
    assert journal.pending(doc_id) == [data]
    assert not store.exists(doc_id)  # durable in the journal only, so far
    await journal.close()
    assert journal.pending(doc_id) == []
    assert store.load(doc_id).doc.get_heads() == doc.get_heads()
    assert _journal_files(tmp_path) == []  # a clean stop leaves the plain store layout


async def test_a_crash_leaves_the_journal_and_the_next_start_moves_it(tmp_path: Path) -> None:
    doc_id = new_document_id()
    _, data = _changes(a="1", b="2")
    _crash_after_commits(tmp_path, doc_id, data)
    store = _store(tmp_path)
    assert not store.exists(doc_id)
    assert Journal(tmp_path / "journal", store).recover() == 1
    assert sorted(store.load(doc_id).doc.keys(am.ROOT)) == ["a", "b"]
    assert len(_journal_files(tmp_path)) == 1  # the new, empty journal


async def test_committed_rounds_are_recovered_from_a_preallocated_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A journal file is made of zeros ahead of need and rounds overwrite them: after a
    crash it is a whole number of segments, its records then zeros, a clean end."""
    doc_id = new_document_id()
    _, first = _changes(a="1")
    _, second = _changes(b="2")
    _, third = _changes(c="3")
    _crash_after_commits(tmp_path, doc_id, first, second, third)
    (path,) = (tmp_path / "journal").glob("journal-*")
    size = path.stat().st_size
    used = sum(_record_size(doc_id, data) for data in (first, second, third))
    assert size >= SEGMENT and size % SEGMENT == 0  # zeros written ahead, a segment each
    assert path.read_bytes()[used:] == bytes(size - used)
    store = _store(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert Journal(tmp_path / "journal", store).recover() == 3
    assert _incremental(store, doc_id) == first + second + third
    assert sorted(store.load(doc_id).doc.keys(am.ROOT)) == ["a", "b", "c"]
    assert not list((tmp_path / "journal").glob("*.bad"))
    assert _warnings(caplog) == []


@pytest.mark.parametrize(
    ("damage", "moved"),
    [
        ("torn at the end of the file", 1),
        ("torn, zeros after it", 1),  # the record's own end reads as zeros: still torn
        ("garbage among the zeros", 2),
    ],
)
async def test_a_torn_last_record_is_dropped_and_the_file_kept_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str, moved: int
) -> None:
    doc_id = new_document_id()
    _, first = _changes(a="1")
    _, second = _changes(b="2")
    _crash_after_commits(tmp_path, doc_id, first, second)
    (path,) = (tmp_path / "journal").glob("journal-*")
    end = _record_size(doc_id, first) + _record_size(doc_id, second)
    blob = bytearray(path.read_bytes())
    assert blob[end:] == bytes(len(blob) - end)
    if damage == "torn at the end of the file":
        del blob[end - 3 :]  # the crash cut the last record short
    elif damage == "torn, zeros after it":
        blob[end - 3 : end] = bytes(3)  # its last page never reached the disk
    else:
        blob[end + 1000] = 1
    path.write_bytes(blob)
    store = _store(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert Journal(tmp_path / "journal", store).recover() == moved
    assert sorted(store.load(doc_id).doc.keys(am.ROOT)) == ["a", "b"][:moved]
    assert f"{path.name}.bad" in _journal_files(tmp_path)
    assert any("partial or damaged" in message for message in _warnings(caplog))


async def test_a_damaged_file_never_replaces_one_kept_aside_before(tmp_path: Path) -> None:
    """Numbering starts again after a clean stop, so a later damaged journal file can
    have the name of one kept aside earlier: both are kept."""
    kept = []
    for value in ("1", "2"):
        doc_id = new_document_id()
        _, data = _changes(a=value)
        _crash_after_commits(tmp_path, doc_id, data)
        (path,) = (tmp_path / "journal").glob("journal-*.log")
        path.write_bytes(path.read_bytes()[: _record_size(doc_id, data) - 3])  # torn
        journal = Journal(tmp_path / "journal", _store(tmp_path))
        journal.recover()
        kept.append(path.name)
        await journal.close()  # a clean stop: the next run numbers from 1 again
    assert kept[0] == kept[1]
    names = sorted(p.name for p in (tmp_path / "journal").glob("journal-*.bad*"))
    assert names == [f"{kept[0]}.bad", f"{kept[0]}.bad.2"]


_ROUNDS = """
import asyncio, os, random, sys
from pathlib import Path
from goalsync.relay.journal import Journal
from goalsync.storage import DocumentStore, FileChunkStore

async def main(root, doc_id, sizes):
    journal = Journal(root / "journal", DocumentStore(FileChunkStore(root / "repo")))
    journal.recover()
    for n, size in enumerate(sizes):
        await journal.commit(doc_id, random.Random(n).randbytes(size))
    await asyncio.sleep(0.5)  # zeros made ahead of need have reached the file, or not
    os._exit(9)

asyncio.run(main(Path(sys.argv[1]), sys.argv[2], [int(size) for size in sys.argv[3:]]))
"""


def test_a_round_bigger_than_the_zeros_commits_and_is_recovered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A round that does not fit in the zeros is written past the file's end; the next
    one, bigger than what is left, waits for the zeros made meanwhile."""
    sizes = [100, SEGMENT + SEGMENT // 2, SEGMENT * 3 // 5, 100]
    doc_id = new_document_id()
    argv = [sys.executable, "-c", _ROUNDS, str(tmp_path), doc_id, *map(str, sizes)]
    run = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == 9, run.stderr
    (path,) = (tmp_path / "journal").glob("journal-*")
    assert path.stat().st_size > SEGMENT * 2
    store = _store(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert Journal(tmp_path / "journal", store).recover() == len(sizes)
    expected = b"".join(random.Random(n).randbytes(size) for n, size in enumerate(sizes))
    assert _incremental(store, doc_id) == expected
    assert not list((tmp_path / "journal").glob("*.bad"))
    assert _warnings(caplog) == []


@pytest.fixture
def no_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


async def test_journal_files_are_0600_whatever_the_umask(tmp_path: Path, no_umask: None) -> None:
    def modes() -> dict[str, int]:
        found = {}
        for path in (tmp_path / "journal").glob("journal-*"):
            with contextlib.suppress(FileNotFoundError):  # moved into the store meanwhile
                found[path.name] = stat.S_IMODE(path.stat().st_mode)
        return found

    journal = Journal(tmp_path / "journal", _store(tmp_path), interval=0.0)
    journal.recover()
    first = modes()
    for _ in range(2):  # the second round goes to a file made on rotation, in a thread
        await journal.commit(new_document_id(), b"x")
    second = modes()
    await journal.close()
    assert len(first) == 1 and second.keys() - first.keys()
    assert set(first.values()) | set(second.values()) == {0o600}


async def test_rotation_moves_old_changes_while_new_ones_commit(tmp_path: Path) -> None:
    store = _store(tmp_path)
    journal = Journal(tmp_path / "journal", store, interval=0.0)  # rotate after every round
    journal.recover()
    doc_id = new_document_id()
    docs = [_changes(**{f"k{i}": str(i)}) for i in range(5)]
    for _, data in docs:
        await journal.commit(doc_id, data)
    await journal.close()
    loaded = store.load(doc_id).doc
    assert sorted(loaded.keys(am.ROOT)) == [f"k{i}" for i in range(5)]
    assert len(store.chunks.list_range((doc_id, "incremental"))) == 5


async def test_changes_reach_the_store_soon_even_when_no_more_come(tmp_path: Path) -> None:
    store = _store(tmp_path)
    journal = Journal(tmp_path / "journal", store, interval=0.05)
    journal.recover()
    doc_id = new_document_id()
    doc, data = _changes(a="1")
    await journal.commit(doc_id, data)
    for _ in range(500):
        if not journal.pending(doc_id):
            break
        await asyncio.sleep(0.01)
    assert journal.pending(doc_id) == []
    assert store.load(doc_id).doc.get_heads() == doc.get_heads()
    await journal.close()


async def test_a_second_relay_on_the_same_journal_is_refused(tmp_path: Path) -> None:
    first = Journal(tmp_path / "journal", _store(tmp_path))
    first.recover()
    with pytest.raises(JournalInUse, match="another relay is running"):
        Journal(tmp_path / "journal", _store(tmp_path)).recover()
    await first.close()
    Journal(tmp_path / "journal", _store(tmp_path)).recover()  # free again


async def test_a_killed_relay_loses_no_acknowledged_change(tmp_path: Path) -> None:
    token = TokenStore(tmp_path / "data" / "relay").add("laptop", "acme")
    relay = await RelayProcess.start(tmp_path / "data")
    doc_id = new_document_id()
    alice = DocumentStore(MemoryChunkStore())
    alice.append(doc_id, new_doc(first="1"), [], set())
    try:
        for i in range(3):
            edit(alice, doc_id, **{f"edit{i}": str(i)})
            assert (await sync_once(relay.url, alice, [doc_id], token)).synced == [doc_id]
    finally:
        await relay.stop(signal.SIGKILL)
    restarted = await RelayProcess.start(tmp_path / "data")
    try:
        bob = DocumentStore(MemoryChunkStore())
        assert (await sync_once(restarted.url, bob, [doc_id], token)).synced == [doc_id]
        assert keys(bob, doc_id) == ["edit0", "edit1", "edit2", "first"]
    finally:
        assert (await restarted.stop(signal.SIGTERM))[0] == 0


async def _settle(peer: RawPeer, mine: DocSync) -> None:
    """Exchange sync messages with the relay until it has everything ``mine`` has."""
    for _ in range(10):
        data = mine.generate(peer.server)
        if data is not None:
            await peer.send(Sync(peer.peer_id, peer.server, mine.doc_id, data))
        elif mine.in_sync(peer.server):
            return
        reply = await peer.recv()
        assert isinstance(reply, Sync)
        mine.receive(peer.server, reply.data)
    raise AssertionError("did not settle")


def _put(doc: am.Document, **values: str) -> None:
    with doc.transaction() as tx:
        for key, value in values.items():
            tx.put(am.ROOT, key, am.ScalarType.Str, value)


async def test_a_rejected_message_does_not_skip_storing_a_change_before_it(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    doc_id = new_document_id()
    local = DocumentStore(MemoryChunkStore())
    local.append(doc_id, new_doc(a="1"), [], set())
    mine = DocSync(doc_id, local)
    async with Relay(store, journal_dir=tmp_path / "journal") as relay:
        peer = RawPeer(await connect(relay.url), "p")
        await peer.join()
        await _settle(peer, mine)
        _put(mine.doc, z="0")
        await _settle(peer, mine)  # now in the journal, and the document loaded
        _put(mine.doc, b="2")
        first = mine.generate(peer.server)
        _put(mine.doc, c="3")
        second = mine.generate(peer.server)
        assert first is not None and second is not None
        for data in (first, second, b"\x42junk"):  # the last one is rejected
            await peer.send(Sync("p", peer.server, doc_id, data))
        await _settle(peer, mine)
    assert sorted(store.load(doc_id).doc.keys(am.ROOT)) == ["a", "b", "c", "z"]


_FILLER = """
import asyncio, os, resource, signal, sys
from pathlib import Path
from goalsync.relay.journal import Journal
from goalsync.storage import DocumentStore, FileChunkStore

async def main(root, doc_id):
    journal = Journal(root / "journal", DocumentStore(FileChunkStore(root / "repo")))
    journal.recover()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4000, hard))  # a disk that fills up
    done = 0
    for n in range(100):
        try:
            await journal.commit(doc_id, bytes([n]) * 1000)
        except OSError as exc:
            print(done, len(journal.pending(doc_id)), exc.strerror.replace(" ", "_"))
            break
        done += 1
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # space is freed
    await journal.commit(doc_id, b"after" * 100)
    print(done + 1)
    sys.stdout.flush()
    os._exit(9)  # no checkpoint, no close: the next start reads the journal

asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
"""


def test_a_failed_write_is_reported_and_leaves_the_journal_whole(tmp_path: Path) -> None:
    """When the disk refuses a round, its committers get the error and nothing of it
    counts as stored; the part of it that was written is cut off, so what is
    acknowledged later is still recovered after a crash (a real kernel error: a file
    size limit, as on a full disk)."""
    doc_id = new_document_id()
    argv = [sys.executable, "-c", _FILLER, str(tmp_path), doc_id]
    run = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == 9, run.stderr
    acknowledged, pending, reason, total = run.stdout.split()
    assert 0 < int(acknowledged) < 4  # 4,000 bytes hold three 1 KB records, not four
    assert int(pending) == int(acknowledged)  # the refused round is not among them
    assert "large" in reason  # "File too large"
    moved = Journal(tmp_path / "journal", _store(tmp_path)).recover()
    assert moved == int(total)  # every acknowledged change, none of the refused one
    assert not list((tmp_path / "journal").glob("*.bad"))


_TEARER = """
import asyncio, os, resource, signal, sys
from pathlib import Path
from goalsync.relay.journal import Journal
from goalsync.storage import DocumentStore, FileChunkStore

async def main(root, doc_id, then):
    journal = Journal(root / "journal", DocumentStore(FileChunkStore(root / "repo")))
    journal.recover()
    await journal.commit(doc_id, b"x" * 500)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (3000, hard))
    # one round of three records: two of them whole below the limit, the third cut
    results = await asyncio.gather(
        *(journal.commit(doc_id, bytes([n]) * 1000) for n in b"ABC"), return_exceptions=True
    )
    assert all(isinstance(result, OSError) for result in results), results
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    if then:
        await journal.commit(doc_id, then.encode())  # shorter than the refused round
    os._exit(9)

asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
"""


@pytest.mark.parametrize("then", ["", "after"])
def test_a_refused_round_is_not_recovered_even_its_whole_records(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, then: str
) -> None:
    """The disk takes two whole records of a round, then refuses the rest: the round
    fails, and neither a crash right after nor a later, shorter round may bring them
    back (they were never acknowledged) or leave anything torn behind."""
    doc_id = new_document_id()
    argv = [sys.executable, "-c", _TEARER, str(tmp_path), doc_id, then]
    run = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == 9, run.stderr
    store = _store(tmp_path)
    with caplog.at_level(logging.WARNING):
        moved = Journal(tmp_path / "journal", store).recover()
    assert moved == (2 if then else 1)
    assert _incremental(store, doc_id) == b"x" * 500 + then.encode()
    assert not list((tmp_path / "journal").glob("*.bad"))
    assert _warnings(caplog) == []


async def test_a_document_stored_in_many_pieces_is_compacted_when_loaded(
    tmp_path: Path,
) -> None:
    """Each checkpoint adds an incremental file per changed document, and a load reads
    them all: a relay loading a document with COMPACT_AT of them writes one snapshot
    instead, and serves the same content."""
    from goalsync.relay.documents import COMPACT_AT

    store = DocumentStore(FileChunkStore(tmp_path / "repo"))
    doc_id = new_document_id()
    doc = new_doc(first="1")
    store.append(doc_id, doc, [], set())
    for n in range(COMPACT_AT):
        heads = doc.get_heads()
        with doc.transaction() as tx:
            tx.put(am.ROOT, f"k{n}", am.ScalarType.Str, str(n))
        store.append(doc_id, doc, heads, set())
    folder = tmp_path / "repo" / doc_id[:2] / doc_id[2:]
    assert len(list((folder / "incremental").iterdir())) == COMPACT_AT + 1
    async with Relay(store) as relay:
        mine = DocumentStore(MemoryChunkStore())
        assert (await sync_once(relay.url, mine, [doc_id])).synced == [doc_id]
    assert keys(mine, doc_id) == sorted(["first", *(f"k{n}" for n in range(COMPACT_AT))])
    assert not list((folder / "incremental").iterdir())
    assert len(list((folder / "snapshot").iterdir())) == 1
    assert keys(store, doc_id) == keys(mine, doc_id)
