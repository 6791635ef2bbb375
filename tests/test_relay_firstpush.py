"""The first push of a new document: stored as its snapshot undecoded, loaded when needed."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from automerge import core as am
from websockets.asyncio.client import connect

from goalsync.amcore import encode_uleb, read_uleb
from goalsync.protocol.docid import new_document_id
from goalsync.protocol.messages import DocUnavailable, Sync
from goalsync.relay import Relay
from goalsync.relay.firstpush import ack_message, read_first_push
from goalsync.repo.docsync import DocSync
from goalsync.storage import DocumentStore, FileChunkStore, MemoryChunkStore
from goalsync.storage.chunks import heads_name, snapshot_heads
from helpers.relay_peers import RawPeer, new_doc, push_raw


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[Relay]:
    async with Relay(DocumentStore(FileChunkStore(tmp_path / "relay"))) as server:
        yield server


async def _peers(relay: Relay, n: int) -> list[RawPeer]:
    peers = [RawPeer(await connect(relay.url, max_size=None), f"p{i}") for i in range(n)]
    for peer in peers:
        await peer.join()
    return peers


def _local(tmp_path: Path, **values: str) -> tuple[str, DocumentStore, am.Document]:
    doc_id = new_document_id()
    store = DocumentStore(MemoryChunkStore())
    doc = new_doc(**values)
    store.append(doc_id, doc, [], set())
    return doc_id, store, doc


async def _fetch(peer: RawPeer, doc_id: str) -> DocSync | None:
    """Fetch ``doc_id`` into an empty document; None if the relay says unavailable."""
    mine = DocSync(doc_id, DocumentStore(MemoryChunkStore()))
    await peer.request(doc_id, mine.generate(peer.server) or b"")
    reply = await peer.recv()
    if isinstance(reply, DocUnavailable):
        return None
    assert isinstance(reply, Sync)
    mine.receive(peer.server, reply.data)
    return mine


def _message(heads: list[bytes], *entries: bytes, first: int = 0x43) -> bytes:
    out = bytearray([first]) + encode_uleb(len(heads)) + b"".join(sorted(heads))
    out += b"\x00\x00" + encode_uleb(len(entries))  # need, have
    for entry in entries:
        out += encode_uleb(len(entry)) + entry
    return bytes(out)


def _lying_heads(saved: bytes) -> bytes:
    """``saved`` with its first head altered and its checksum made right again."""
    data = bytearray(saved)
    length, start = read_uleb(data, 9)
    actors, pos = read_uleb(data, start)
    for _ in range(actors):
        size, pos = read_uleb(data, pos)
        pos += size
    _, pos = read_uleb(data, pos)
    data[pos] ^= 0xFF
    data[4:8] = hashlib.sha256(bytes(data[8 : start + length])).digest()[:4]
    return bytes(data)


async def test_first_push_is_stored_as_snapshot_and_served_later(
    relay: Relay, tmp_path: Path
) -> None:
    doc_id, store, doc = _local(tmp_path, a="1", b="2")
    pusher, fetcher = await _peers(relay, 2)
    assert await push_raw(pusher, doc_id, store) == "synced"
    heads = doc.get_heads()
    snapshot = (doc_id, "snapshot", heads_name(heads))
    assert relay.store.chunks.list_range((doc_id,)) == [snapshot]
    assert relay.store.chunks.load(snapshot) == doc.save()
    assert doc_id not in relay.router.docs  # stored without decoding
    fetched = await _fetch(fetcher, doc_id)
    assert fetched is not None and set(fetched.heads) == set(heads)
    assert sorted(fetched.doc.keys(am.ROOT)) == ["a", "b"]


async def test_a_pushed_snapshot_that_does_not_load_is_quarantined_never_served(
    relay: Relay, tmp_path: Path
) -> None:
    doc_id, _, doc = _local(tmp_path, a="1")
    bad = _lying_heads(doc.save())
    push = read_first_push(_message([], bad))
    assert push is None  # no heads advertised: not a first push
    claimed = snapshot_heads(bad)
    assert claimed is not None
    pusher, fetcher = await _peers(relay, 2)
    await pusher.send(Sync("p0", pusher.server, doc_id, _message(claimed, bad)))
    ack = await pusher.recv()
    assert isinstance(ack, Sync) and ack.data == ack_message(tuple(claimed))
    assert await _fetch(fetcher, doc_id) is None
    quarantined = [p for p in (tmp_path / "relay" / "quarantine").rglob("*") if p.is_file()]
    assert len(quarantined) == 1
    assert relay.store.chunks.list_range((doc_id, "snapshot")) == []


async def test_a_peer_waiting_for_the_document_gets_the_first_push(
    relay: Relay, tmp_path: Path
) -> None:
    doc_id, store, doc = _local(tmp_path, a="1")
    pusher, waiter = await _peers(relay, 2)
    assert await _fetch(waiter, doc_id) is None  # asked first: now waits for it
    assert await push_raw(pusher, doc_id, store) == "synced"
    live = await waiter.recv()
    assert isinstance(live, Sync) and live.document_id == doc_id
    mine = DocSync(doc_id, DocumentStore(MemoryChunkStore()))
    mine.receive(waiter.server, live.data)
    assert set(mine.heads) == set(doc.get_heads())


def test_ack_is_what_the_binding_sends_after_taking_a_document(tmp_path: Path) -> None:
    doc_id, store, doc = _local(tmp_path, a="1", b="2")
    pusher = DocSync(doc_id, store)
    relay = DocSync(doc_id, DocumentStore(MemoryChunkStore()))
    relay.receive("p", pusher.generate("r") or b"")
    pusher.receive("r", relay.generate("p") or b"")
    push = pusher.generate("r") or b""
    found = read_first_push(push)
    assert found is not None and found.chunk == doc.save()
    relay.receive("p", push)
    assert relay.generate("p") == ack_message(found.heads)


def test_only_a_single_document_chunk_with_matching_heads_is_a_first_push(
    tmp_path: Path,
) -> None:
    _, _, doc = _local(tmp_path, a="1")
    saved, heads = doc.save(), doc.get_heads()
    other = new_doc(z="9")
    assert read_first_push(_message(heads, saved)) is not None
    assert read_first_push(_message(heads, saved, first=0x42)) is None  # v1 cannot carry it
    assert read_first_push(_message(heads, saved, saved)) is None  # two entries
    assert read_first_push(_message(other.get_heads(), saved)) is None  # heads differ
    assert read_first_push(_message(heads, saved + saved)) is None  # two chunks in one
    assert read_first_push(_message(heads, saved[:-1])) is None  # truncated
    change = doc.get_changes([])[0].bytes
    assert read_first_push(_message(heads, change)) is None  # a change, not a document
    assert read_first_push(_message(heads, saved) + b"\x05") is None  # bad trailer
