"""Relay limits, one test each: frame size, message rate, join time, idle time, peer id
takeover; and a fuzz run showing no frame crashes the relay or disturbs other clients."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from pathlib import Path

import cbor2
import pytest
from websockets.exceptions import ConnectionClosed

from goalsync.protocol.docid import new_document_id
from goalsync.protocol.messages import DocUnavailable, Error, Peer
from goalsync.relay import RelayLimits, TokenStore
from goalsync.repo.client import sync_once
from goalsync.storage import DocumentStore, MemoryChunkStore
from helpers.relay_peers import (
    EMPTY_REQUEST,
    RawPeer,
    keys,
    new_doc,
    open_peer,
    push_raw,
    team_relay,
)


@pytest.fixture
def tokens(tmp_path: Path) -> dict[str, str]:
    store = TokenStore(tmp_path / "relay")
    return {"a": store.add("a", "alpha"), "a2": store.add("a2", "alpha")}


async def _still_serves(peer: RawPeer) -> None:
    doc_id = new_document_id()
    await peer.request(doc_id)
    assert await peer.recv() == DocUnavailable(peer.server, peer.peer_id, doc_id)


async def test_oversize_frame_closes_only_that_socket(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    async with team_relay(tmp_path, RelayLimits(max_frame=4096)) as relay:
        good = await open_peer(relay.url, "good", token=tokens["a"])
        big = await open_peer(relay.url, "big", token=tokens["a"])
        await good.join()
        await big.join()
        # Deflated (the relay accepts permessage-deflate) this frame is a few dozen bytes:
        # the limit holds for its inflated size, so no small frame inflates without limit.
        assert [type(e).__name__ for e in big.ws.protocol.extensions] == ["PerMessageDeflate"]
        await big.ws.send(cbor2.dumps({"type": "sync", "senderId": "big", "data": b"x" * 8192}))
        assert (await big.closed())[0] == 1009
        await _still_serves(good)


async def test_flood_closes_the_flooder_with_a_reason(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    async with team_relay(tmp_path, RelayLimits(rate=5, burst=20)) as relay:
        calm = await open_peer(relay.url, "calm", token=tokens["a"])
        flood = await open_peer(relay.url, "flood", token=tokens["a"])
        await calm.join()
        await flood.join()
        doc_id = new_document_id()
        with contextlib.suppress(ConnectionClosed):
            for _ in range(500):
                await flood.request(doc_id)
        assert await flood.closed() == (1008, "message rate limit exceeded")
        await _still_serves(calm)


async def test_no_join_in_time_closes(tmp_path: Path, tokens: dict[str, str]) -> None:
    async with team_relay(tmp_path, RelayLimits(join_timeout=0.2)) as relay:
        slow = await open_peer(relay.url, "slow", token=tokens["a"])
        assert await slow.closed() == (1008, "no join within 0.2 s")


async def test_idle_connection_closes_even_though_it_answers_pings(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    limits = RelayLimits(idle_timeout=0.3, ping_interval=0.05)
    async with team_relay(tmp_path, limits) as relay:
        idle = await open_peer(relay.url, "idle", token=tokens["a"])
        await idle.join()
        assert await idle.closed() == (1001, "idle for 0.3 s")


async def test_peer_id_of_another_device_cannot_be_taken_over(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "relay")
    mine, theirs = store.add("mine", "alpha"), store.add("theirs", "alpha")
    async with team_relay(tmp_path) as relay:
        owner = await open_peer(relay.url, "peer-x", token=mine)
        thief = await open_peer(relay.url, "peer-x", token=theirs)
        await owner.join()
        reply = await thief.join()
        assert isinstance(reply, Error) and reply.message == "peer id in use"
        assert await thief.closed() == (1008, "peer id in use")
        await _still_serves(owner)
        assert relay.connected_peers == ["peer-x"]


async def test_same_device_reconnecting_replaces_its_older_socket(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    async with team_relay(tmp_path) as relay:
        old = await open_peer(relay.url, "peer-y", token=tokens["a"])
        new = await open_peer(relay.url, "peer-y", token=tokens["a"])
        await old.join()
        assert isinstance(await new.join(), Peer)
        code, reason = await old.closed()
        assert (code, reason.startswith("replaced")) == (1000, True)
        await _still_serves(new)


def _fuzz_frames(rng: random.Random, peer_id: str, doc_id: str) -> list[bytes | str]:
    types = [
        "join",
        "sync",
        "request",
        "ephemeral",
        "doc-unavailable",
        "leave",
        "peer",
        "remote-heads-changed",
        "remote-subscription-change",
        "error",
        "???",
    ]
    values: list[object] = [
        None,
        True,
        -1,
        2**70,
        1.5,
        "",
        "x" * 300,
        [1, [2, [3]]],
        {"a": {"b": {}}},
        b"",
        cbor2.undefined,
        doc_id,
        peer_id,
        EMPTY_REQUEST,
        b"\x42" + rng.randbytes(40),
        b"\x43\x01" + b"\x00" * 32,
    ]
    frames: list[bytes | str] = []
    for i in range(300):
        kind = i % 4
        if kind == 0:
            frames.append(rng.randbytes(rng.randrange(0, 64)))
        elif kind == 1:
            frames.append(cbor2.dumps([rng.choice(values) for _ in range(3)]))
        else:
            msg = {"type": rng.choice(types), "senderId": peer_id, "targetId": "relay"}
            for key in (
                "documentId",
                "data",
                "sessionId",
                "count",
                "peerMetadata",
                "supportedProtocolVersions",
                "newHeads",
                "add",
            ):
                if rng.random() < 0.6:
                    msg[key] = rng.choice(values)
            if rng.random() < 0.5:
                msg["documentId"], msg["data"] = doc_id, rng.choice(values[-3:])
            frames.append(cbor2.dumps(msg))
    return frames


async def _survives(peer: RawPeer, frame: bytes | str) -> bool:
    """Send ``frame`` then a probe request; False if the relay closed the socket."""
    probe = new_document_id()
    try:
        await peer.ws.send(frame)
        await peer.request(probe)
        while True:  # replies to the fuzz frame may come first
            reply = await peer.recv()
            if isinstance(reply, DocUnavailable) and reply.document_id == probe:
                return True
    except ConnectionClosed:
        return False


async def test_fuzzed_frames_never_crash_the_relay_and_others_keep_syncing(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    rng = random.Random(1234)
    doc_id = new_document_id()
    alice, bob = DocumentStore(MemoryChunkStore()), DocumentStore(MemoryChunkStore())
    alice.append(doc_id, new_doc(title="kept"), [], set())
    async with team_relay(tmp_path, RelayLimits(burst=100_000)) as relay:
        assert (await sync_once(relay.url, alice, [doc_id], tokens["a"])).synced == [doc_id]
        watcher = await open_peer(relay.url, "watcher", token=tokens["a2"])
        await watcher.join()
        fuzzer: RawPeer | None = None
        closes = 0
        for frame in _fuzz_frames(rng, "fuzz", doc_id):
            if fuzzer is None:
                fuzzer = await open_peer(relay.url, "fuzz", token=tokens["a"])
                assert isinstance(await fuzzer.join(), Peer)
            if not await _survives(fuzzer, frame):
                fuzzer, closes = None, closes + 1
        assert closes > 10  # malformed frames did close the fuzzer's sockets ...
        await _still_serves(watcher)  # ... and only those
        fetched = await sync_once(relay.url, bob, [doc_id], tokens["a2"])
        assert fetched.synced == [doc_id] and keys(bob, doc_id) == ["title"]


async def test_a_peer_that_does_not_read_is_dropped(tmp_path: Path, tokens: dict[str, str]) -> None:
    limits = RelayLimits(max_unread=64 * 1024)
    async with team_relay(tmp_path, limits) as relay:
        pusher = await open_peer(relay.url, "pusher", token=tokens["a"])
        await pusher.join()
        doc_id = new_document_id()
        mine = DocumentStore(MemoryChunkStore())
        mine.append(doc_id, new_doc(big=random.randbytes(3_000_000).hex()), [], set())
        assert await push_raw(pusher, doc_id, mine) == "synced"
        sock = socket.create_connection(("127.0.0.1", relay.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        # No compression: deflated, the hex answer could fit in the kernel's socket buffers.
        slow = await open_peer(relay.url, "slow", token=tokens["a"], sock=sock, compression=None)
        await slow.join()
        await slow.request(doc_id)  # ~6 MB answer, never read
        for _ in range(500):
            if "slow" not in relay.connected_peers:
                break
            await asyncio.sleep(0.01)
        assert relay.connected_peers == ["pusher"]
        await _still_serves(pusher)


@pytest.mark.slow
async def test_a_peer_that_stops_answering_pings_is_closed(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    """A peer whose end stopped reading (a dead laptop, a half-open connection) never
    answers the relay's pings, and is closed after ``ping_timeout`` (then the closing
    handshake's own 10 s, which it does not answer either)."""
    limits = RelayLimits(ping_interval=0.05, ping_timeout=0.3)
    async with team_relay(tmp_path, limits) as relay:
        gone = await open_peer(relay.url, "gone", token=tokens["a"])
        await gone.join()
        assert "gone" in relay.connected_peers
        gone.ws.transport.pause_reading()  # reads nothing more, so answers no ping
        for _ in range(300):
            if "gone" not in relay.connected_peers:
                break
            await asyncio.sleep(0.1)
        assert "gone" not in relay.connected_peers
