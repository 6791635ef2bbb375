"""The WebSocket client against the Python relay on 127.0.0.1: push, fetch, watch, retry."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

import pytest
from automerge import core as am
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from goalsync.protocol.docid import new_document_id
from goalsync.relay import Principal, Relay
from goalsync.repo import StatusTracker, SyncStatus
from goalsync.repo.client import SyncClient, SyncError, SyncRefused, sync_once
from goalsync.storage import DocumentStore, FileChunkStore, MemoryChunkStore


def _store() -> DocumentStore:
    return DocumentStore(MemoryChunkStore())


def _put(doc: am.Document, key: str, value: str) -> None:
    with doc.transaction() as tx:
        tx.put(am.ROOT, key, am.ScalarType.Str, value)


def _value(store: DocumentStore, doc_id: str, key: str) -> str | None:
    got = store.load(doc_id).doc.get(am.ROOT, key)
    if got is None:
        return None
    value = got[0]
    assert isinstance(value, tuple)
    return str(value[1])


def _seed(store: DocumentStore, doc_id: str, n: int) -> None:
    doc = am.Document()
    for i in range(n):
        _put(doc, f"k{i}", str(i))
    store.append(doc_id, doc, [], set())


async def test_push_then_fetch_through_relay(relay: Relay) -> None:
    doc_id = new_document_id()
    alice, bob = _store(), _store()
    _seed(alice, doc_id, 5)
    pushed = await sync_once(relay.url, alice, [doc_id])
    assert pushed.synced == [doc_id] and pushed.changes_out == 5 and pushed.changes_in == 0
    assert pushed.server_storage_id == relay.storage_id
    assert relay.store.exists(doc_id)  # durable on the relay's disk
    fetched = await sync_once(relay.url, bob, [doc_id])
    assert fetched.synced == [doc_id] and fetched.changes_in == 5
    assert fetched.bytes_in > 0 and fetched.frames_out >= 2
    assert _value(bob, doc_id, "k4") == "4"


async def test_concurrent_edits_converge(relay: Relay) -> None:
    doc_id = new_document_id()
    alice, bob = _store(), _store()
    _seed(alice, doc_id, 1)
    await sync_once(relay.url, alice, [doc_id])
    await sync_once(relay.url, bob, [doc_id])
    for store, key in ((alice, "a"), (bob, "b")):
        loaded = store.load(doc_id)
        before = loaded.doc.get_heads()
        _put(loaded.doc, key, key)
        store.append(doc_id, loaded.doc, before, loaded.known)
    await sync_once(relay.url, alice, [doc_id])
    summary = await sync_once(relay.url, bob, [doc_id])
    assert summary.changes_in == 1 and summary.changes_out == 1
    await sync_once(relay.url, alice, [doc_id])
    for store in (alice, bob):
        assert (_value(store, doc_id, "a"), _value(store, doc_id, "b")) == ("a", "b")


async def test_unknown_document_is_unavailable(relay: Relay) -> None:
    missing, present = new_document_id(), new_document_id()
    store = _store()
    _seed(store, present, 2)
    summary = await sync_once(relay.url, store, [missing, present])
    assert summary.unavailable == [missing] and summary.synced == [present]
    assert not relay.store.exists(missing)


async def test_watch_mode_receives_live_changes(relay: Relay) -> None:
    doc_id = new_document_id()
    alice_store, bob_store = _store(), _store()
    _seed(alice_store, doc_id, 1)
    got_live = asyncio.Event()
    bob = SyncClient(
        relay.url, bob_store, [doc_id], on_change=lambda d, h: got_live.set() if h else None
    )
    alice = SyncClient(relay.url, alice_store, [doc_id])
    stop = asyncio.Event()
    tasks = [asyncio.create_task(c.run(stop)) for c in (alice, bob)]
    try:
        await alice.status.wait_for(SyncStatus.synced, timeout=10)
        await got_live.wait()  # bob fetched the seed
        got_live.clear()
        _put(alice.docs[doc_id].doc, "live", "yes")
        await alice.local_changed(doc_id)
        await asyncio.wait_for(got_live.wait(), 10)
        assert _value(bob_store, doc_id, "live") == "yes"  # stored durably before notifying
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    assert alice.status.state is SyncStatus.offline


async def test_watch_reconnects_after_relay_restart(tmp_path: Path) -> None:
    relay = Relay(DocumentStore(FileChunkStore(tmp_path / "r")))
    await relay.start()
    port = relay.port
    doc_id = new_document_id()
    store = _store()
    _seed(store, doc_id, 1)
    client = SyncClient(relay.url, store, [doc_id])
    stop = asyncio.Event()
    task = asyncio.create_task(client.run(stop, backoff=0.05, max_backoff=0.2))
    try:
        await client.status.wait_for(SyncStatus.synced, timeout=10)
        await relay.stop()
        await client.status.wait_for(SyncStatus.offline, timeout=10)
        restarted = Relay(DocumentStore(FileChunkStore(tmp_path / "r")), port=port)
        await restarted.start()
        try:
            await client.status.wait_for(SyncStatus.synced, timeout=10)
            assert restarted.connected_peers == [client.peer_id]
        finally:
            stop.set()
            await task
            await restarted.stop()
    finally:
        stop.set()
        await task


async def test_join_is_retried_when_first_join_is_lost(relay: Relay) -> None:
    """PROTOCOL.md §1.7: the official server drops joins right after it starts."""
    seen = 0

    async def flaky(ws: ServerConnection) -> None:
        nonlocal seen
        seen += 1
        if seen == 1:
            await ws.wait_closed()  # accept, never answer
            return
        async with connect(relay.url) as upstream:

            async def pump(src: object, dst: object) -> None:
                async for frame in src:  # type: ignore[attr-defined]
                    await dst.send(frame)  # type: ignore[attr-defined]

            await asyncio.wait(
                [asyncio.create_task(pump(ws, upstream)), asyncio.create_task(pump(upstream, ws))],
                return_when=asyncio.FIRST_COMPLETED,
            )

    async with serve(flaky, "127.0.0.1", 0) as proxy:
        port = proxy.sockets[0].getsockname()[1]
        doc_id = new_document_id()
        store = _store()
        _seed(store, doc_id, 1)
        client = SyncClient(f"ws://127.0.0.1:{port}", store, [doc_id], join_timeout=0.3)
        summary = await client.sync_once(timeout=10)
    assert summary.synced == [doc_id] and summary.attempts == 2


async def test_silent_server_gives_clear_error() -> None:
    async def silent(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async with serve(silent, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = SyncClient(
            f"ws://127.0.0.1:{port}",
            _store(),
            [new_document_id()],
            join_timeout=0.1,
            join_attempts=2,
        )
        with pytest.raises(SyncError, match="no answer to join"):
            await client.sync_once()
    assert client.status.state is SyncStatus.error


class _TokenAuth:
    def authenticate(self, path: str, headers: Mapping[str, str]) -> Principal | None:
        return Principal("t") if headers.get("authorization") == "Bearer s3cret" else None

    def may_access(self, principal: Principal, doc_id: str) -> bool:
        return True


async def test_token_is_sent_and_refusal_is_clear(tmp_path: Path) -> None:
    doc_id = new_document_id()
    store = _store()
    _seed(store, doc_id, 1)
    async with Relay(DocumentStore(MemoryChunkStore()), authorizer=_TokenAuth()) as relay:
        with pytest.raises(SyncRefused, match=r"HTTP 401.*token"):
            await sync_once(relay.url, store, [doc_id], token="wrong")
        summary = await sync_once(relay.url, store, [doc_id], token="s3cret")
    assert summary.synced == [doc_id]


async def test_status_tracker_catches_brief_states() -> None:
    tracker = StatusTracker()
    seen: list[SyncStatus] = []
    tracker.subscribe(lambda state, detail: seen.append(state))
    waiter = asyncio.create_task(tracker.wait_for(SyncStatus.synced))
    await asyncio.sleep(0)  # let the waiter register
    tracker.set(SyncStatus.synced)
    tracker.set(SyncStatus.syncing)
    assert await waiter is SyncStatus.synced
    assert seen == [SyncStatus.synced, SyncStatus.syncing]


def test_non_websocket_url_rejected() -> None:
    with pytest.raises(SyncError, match="not a WebSocket URL"):
        SyncClient("http://example.invalid", _store(), [])
