"""Relay access rules: tokens at the upgrade, documents owned by the team that stored them."""

from __future__ import annotations

from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from goalsync.protocol.docid import new_document_id
from goalsync.protocol.messages import DocUnavailable, Peer, Sync, decode
from goalsync.relay import RelayLimits, TokenStore
from goalsync.repo.client import SyncRefused, sync_once
from goalsync.repo.docsync import DocSync
from goalsync.storage import DocumentStore, MemoryChunkStore
from helpers.relay_peers import edit, keys, new_doc, open_peer, push_raw, team_relay


@pytest.fixture
def tokens(tmp_path: Path) -> dict[str, str]:
    store = TokenStore(tmp_path / "relay")
    return {
        "a1": store.add("a1", "alpha"),
        "a2": store.add("a2", "alpha"),
        "b1": store.add("b1", "beta"),
    }


def _client_store(doc_id: str, **values: str) -> DocumentStore:
    store = DocumentStore(MemoryChunkStore())
    store.append(doc_id, new_doc(**values), [], set())
    return store


@pytest.mark.parametrize("how", ["none", "unknown", "revoked", "empty bearer"])
async def test_upgrade_without_a_valid_token_gets_401(
    tmp_path: Path, tokens: dict[str, str], how: str
) -> None:
    TokenStore(tmp_path / "relay").revoke("b1")
    token = {"none": None, "unknown": "x" * 43, "revoked": tokens["b1"], "empty bearer": ""}[how]
    async with team_relay(tmp_path) as relay:
        with pytest.raises(InvalidStatus) as info:
            await open_peer(relay.url, "p", token=token)
        assert info.value.response.status_code == 401
        with pytest.raises(SyncRefused, match="401"):
            await sync_once(relay.url, DocumentStore(MemoryChunkStore()), [], token=token)


async def test_token_in_header_or_query_is_accepted(tmp_path: Path, tokens: dict[str, str]) -> None:
    async with team_relay(tmp_path) as relay:
        by_header = await open_peer(relay.url, "h", token=tokens["a1"])
        by_query = await open_peer(f"{relay.url}/?token={tokens['a1']}", "q")
        for peer in (by_header, by_query):
            assert isinstance(await peer.join(), Peer)
            await peer.ws.close()


async def test_revoking_a_token_closes_its_open_connections(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    limits = RelayLimits(recheck_interval=0.05)
    async with team_relay(tmp_path, limits) as relay:
        doomed = await open_peer(relay.url, "doomed", token=tokens["a1"])
        kept = await open_peer(relay.url, "kept", token=tokens["a2"])
        await doomed.join()
        await kept.join()
        TokenStore(tmp_path / "relay").revoke("a1")
        assert await doomed.closed() == (1008, "token revoked")
        assert relay.connected_peers == ["kept"]


def _same_length_ids() -> tuple[str, str]:
    first = new_document_id()
    while len(second := new_document_id()) != len(first):
        pass
    return first, second


async def test_other_teams_see_an_owned_document_exactly_as_a_missing_one(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    owned, missing = _same_length_ids()
    async with team_relay(tmp_path) as relay:
        pushed = await sync_once(relay.url, _client_store(owned, secret="s"), [owned], tokens["a1"])
        assert pushed.synced == [owned]
        outsider = await open_peer(relay.url, "outsider", token=tokens["b1"])
        await outsider.join()
        frames = []
        for doc_id in (owned, missing):
            await outsider.request(doc_id)
            frames.append((await outsider.recv_frame()).replace(doc_id.encode(), b"<id>"))
        assert frames[0] == frames[1]
        assert isinstance(decode(frames[0].replace(b"<id>", missing.encode())), DocUnavailable)
        teammate = DocumentStore(MemoryChunkStore())
        fetched = await sync_once(relay.url, teammate, [owned], tokens["a2"])  # same team
        assert fetched.synced == [owned] and keys(teammate, owned) == ["secret"]


async def test_other_teams_cannot_write_an_owned_document(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    doc_id = new_document_id()
    async with team_relay(tmp_path) as relay:
        await sync_once(relay.url, _client_store(doc_id, mine="a"), [doc_id], tokens["a1"])
        before = relay.store.fingerprint(doc_id)
        # a raw sync carrying changes, as a hostile client would send it
        hostile = DocSync(doc_id, _client_store(doc_id, theirs="b"))
        outsider = await open_peer(relay.url, "outsider", token=tokens["b1"])
        await outsider.join()
        data = hostile.generate("relay")
        assert data is not None
        await outsider.send(Sync("outsider", outsider.server, doc_id, data))
        assert await outsider.recv() == DocUnavailable(outsider.server, "outsider", doc_id)
        assert await push_raw(outsider, doc_id, _client_store(doc_id, x="y")) == "unavailable"
        assert relay.store.fingerprint(doc_id) == before
        assert keys(relay.store, doc_id) == ["mine"]


async def test_a_peer_waiting_for_a_document_gets_nothing_once_another_team_owns_it(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    doc_id, probe = new_document_id(), new_document_id()
    async with team_relay(tmp_path) as relay:
        waiting = await open_peer(relay.url, "waiting", token=tokens["b1"])
        await waiting.join()
        await waiting.request(doc_id)
        assert isinstance(await waiting.recv(), DocUnavailable)
        await sync_once(relay.url, _client_store(doc_id, k="v"), [doc_id], tokens["a1"])
        await waiting.request(probe)  # the next frame is the answer: nothing came before it
        assert await waiting.recv() == DocUnavailable(waiting.server, "waiting", probe)


async def test_live_changes_reach_teammates(tmp_path: Path, tokens: dict[str, str]) -> None:
    doc_id = new_document_id()
    alice = _client_store(doc_id, k="v")
    async with team_relay(tmp_path) as relay:
        await sync_once(relay.url, alice, [doc_id], tokens["a1"])
        watcher = await open_peer(relay.url, "watcher", token=tokens["a2"])
        await watcher.join()
        await watcher.request(doc_id)
        assert isinstance(await watcher.recv(), Sync)
        edit(alice, doc_id, more="x")
        await sync_once(relay.url, alice, [doc_id], tokens["a1"])
        pushed = await watcher.recv()
        assert isinstance(pushed, Sync) and pushed.document_id == doc_id


async def test_documents_per_token_limit(tmp_path: Path, tokens: dict[str, str]) -> None:
    ids = [new_document_id() for _ in range(3)]
    store = DocumentStore(MemoryChunkStore())
    for doc_id in ids:
        store.append(doc_id, new_doc(k=doc_id), [], set())
    async with team_relay(tmp_path, RelayLimits(max_docs_per_token=2)) as relay:
        peer = await open_peer(relay.url, "creator", token=tokens["a1"])
        await peer.join()
        assert [await push_raw(peer, d, store) for d in ids] == ["synced", "synced", "unavailable"]
        assert not relay.store.exists(ids[2])
        assert not (tmp_path / "relay" / "owners" / f"{ids[2]}.json").exists()
        other = await sync_once(relay.url, store, ids[2:], tokens["a2"])
        assert other.synced == ids[2:]  # the limit is per token
