"""The relay's rules (PROTOCOL.md §1.10), driven by raw protocol peers on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import cbor2
import pytest
from automerge import core as am
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from goalsync.protocol.docid import new_document_id
from goalsync.protocol.messages import (
    DocUnavailable,
    Ephemeral,
    Error,
    Peer,
    PeerMetadata,
    Request,
    Sync,
)
from goalsync.relay import Principal, Relay
from goalsync.storage import DocumentStore, FileChunkStore
from helpers.relay_peers import EMPTY_REQUEST, RawPeer


async def _closed_at_once(peer: RawPeer) -> bool:
    """True if the very next thing on the socket is its close (no frame before it)."""
    try:
        await asyncio.wait_for(peer.ws.recv(), 5)
    except ConnectionClosed:
        return True
    return False


@pytest.fixture
async def peers(relay: Relay) -> AsyncIterator[list[RawPeer]]:
    sockets = [await connect(relay.url) for _ in range(3)]
    yield [RawPeer(ws, f"raw-{i}") for i, ws in enumerate(sockets)]
    for ws in sockets:
        await ws.close()


def _stored_doc(relay: Relay, doc_id: str, key: str, value: str) -> None:
    doc = am.Document()
    with doc.transaction() as tx:
        tx.put(am.ROOT, key, am.ScalarType.Str, value)
    relay.store.append(doc_id, doc, [], set())


async def test_join_answers_peer_with_storage_id(relay: Relay, peers: list[RawPeer]) -> None:
    reply = await peers[0].join(versions=None)  # missing versions means "1"
    assert reply == Peer(relay.peer_id, "raw-0", PeerMetadata(relay.storage_id, False), "1")
    assert relay.connected_peers == ["raw-0"]


async def test_unsupported_version_gets_error_then_close(peers: list[RawPeer]) -> None:
    reply = await peers[0].join(versions=("2",))
    assert isinstance(reply, Error) and reply.message == "unsupported protocol version"
    assert await _closed_at_once(peers[0])


@pytest.mark.parametrize(
    "frame",
    [b"\xff\x00garbage", "a text frame", cbor2.dumps({"type": "sync", "senderId": "raw-0"})],
    ids=["not cbor", "text", "invalid sync"],
)
async def test_malformed_frame_closes_only_that_socket(
    relay: Relay, peers: list[RawPeer], frame: bytes | str
) -> None:
    good, bad = peers[0], peers[1]
    await good.join()
    await bad.join()
    await bad.ws.send(frame)
    assert await _closed_at_once(bad)
    doc_id = new_document_id()
    _stored_doc(relay, doc_id, "k", "v")
    await good.request(doc_id)
    reply = await good.recv()
    assert isinstance(reply, Sync) and reply.document_id == doc_id


async def test_messages_before_join_and_with_wrong_sender_are_dropped(
    relay: Relay, peers: list[RawPeer]
) -> None:
    peer = peers[0]
    first, second = new_document_id(), new_document_id()
    await peer.send(Request("raw-0", relay.peer_id, first, EMPTY_REQUEST))
    assert isinstance(await peer.join(), Peer)
    await peer.send(Request("someone-else", relay.peer_id, first, EMPTY_REQUEST))
    await peer.request(second)
    reply = await peer.recv()  # the first answer is about the second document
    assert reply == DocUnavailable(relay.peer_id, "raw-0", second)


async def test_unknown_message_type_is_ignored(relay: Relay, peers: list[RawPeer]) -> None:
    peer = peers[0]
    await peer.join()
    await peer.ws.send(cbor2.dumps({"type": "from-the-future", "senderId": "raw-0"}))
    doc_id = new_document_id()
    await peer.request(doc_id)
    assert await peer.recv() == DocUnavailable(relay.peer_id, "raw-0", doc_id)


async def test_hostile_sync_data_is_dropped_and_stored_doc_unchanged(
    relay: Relay, peers: list[RawPeer]
) -> None:
    peer = peers[0]
    await peer.join()
    doc_id = new_document_id()
    _stored_doc(relay, doc_id, "k", "v")
    fingerprint = relay.store.fingerprint(doc_id)
    await peer.send(Sync("raw-0", relay.peer_id, doc_id, b"\x42\x05truncated"))
    await peer.request(doc_id)
    reply = await peer.recv()
    assert isinstance(reply, Sync) and reply.document_id == doc_id
    assert relay.store.fingerprint(doc_id) == fingerprint


async def test_second_socket_with_same_peer_id_replaces_first(
    relay: Relay, peers: list[RawPeer]
) -> None:
    old, new = peers[0], RawPeer(peers[1].ws, "raw-0")
    await old.join()
    await new.join()
    assert await _closed_at_once(old)
    doc_id = new_document_id()
    await new.request(doc_id)
    assert await new.recv() == DocUnavailable(relay.peer_id, "raw-0", doc_id)


async def test_ephemeral_forwarded_with_extra_fields_and_deduplicated(
    relay: Relay, peers: list[RawPeer]
) -> None:
    doc_id = new_document_id()
    _stored_doc(relay, doc_id, "k", "v")
    a, b = peers[0], peers[1]
    for peer in (a, b):
        await peer.join()
        await peer.request(doc_id)
        assert isinstance(await peer.recv(), Sync)  # now in the document's peer set

    def presence(count: int) -> Ephemeral:
        data = cbor2.dumps({"cursor": count})
        return Ephemeral("raw-0", relay.peer_id, doc_id, "sess", count, data, {"x-app": "kept"})

    for count in (1, 1, 0, 2):
        await a.send(presence(count))
    got = [await b.recv(), await b.recv()]
    assert [m.count for m in got if isinstance(m, Ephemeral)] == [1, 2]
    first = got[0]
    assert isinstance(first, Ephemeral)
    assert first.target_id == "raw-1" and first.sender_id == "raw-0"
    assert first.extra == {"x-app": "kept"}


class _DenyOne:
    def __init__(self, denied: str) -> None:
        self.denied = denied

    def authenticate(self, path: str, headers: Mapping[str, str]) -> Principal | None:
        return Principal("anyone")

    def may_access(self, principal: Principal, doc_id: str) -> bool:
        return doc_id != self.denied


async def test_denied_looks_exactly_like_missing(tmp_path: Path) -> None:
    denied, missing = new_document_id(), new_document_id()
    store = DocumentStore(FileChunkStore(tmp_path / "r"))
    async with Relay(store, authorizer=_DenyOne(denied)) as relay:
        _stored_doc(relay, denied, "secret", "x")
        async with connect(relay.url) as ws:
            peer = RawPeer(ws, "raw-0")
            await peer.join()
            answers = []
            for doc_id in (denied, missing):
                await peer.request(doc_id)
                reply = await peer.recv()
                assert isinstance(reply, DocUnavailable)
                answers.append((reply.sender_id, reply.target_id))
    assert answers[0] == answers[1]
