"""Helpers for the relay tests: a hand-driven protocol peer, team relays, stored docs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from automerge import core as am
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from goalsync.protocol.messages import Join, Message, Peer, PeerMetadata, Request, decode, encode
from goalsync.relay import Relay, RelayLimits, TeamAuthorizer
from goalsync.storage import DocumentStore, FileChunkStore

EMPTY_REQUEST = bytes.fromhex("42000001000000")


class RawPeer:
    """A protocol peer that sends exactly the frames a test asks for."""

    def __init__(self, ws: ClientConnection, peer_id: str) -> None:
        self.ws = ws
        self.peer_id = peer_id
        self.server = ""

    async def send(self, msg: Message) -> None:
        await self.ws.send(encode(msg))

    async def recv_frame(self) -> bytes:
        frame = await asyncio.wait_for(self.ws.recv(), 5)
        assert isinstance(frame, bytes)
        return frame

    async def recv(self) -> Message:
        return decode(await self.recv_frame())

    async def join(self, versions: tuple[str, ...] | None = ("1",)) -> Message:
        await self.send(Join(self.peer_id, PeerMetadata(None, True), versions))
        reply = await self.recv()
        if isinstance(reply, Peer):
            self.server = reply.sender_id
        return reply

    async def request(self, doc_id: str, data: bytes = EMPTY_REQUEST) -> None:
        await self.send(Request(self.peer_id, self.server, doc_id, data))

    async def closed(self, timeout: float = 5) -> tuple[int | None, str]:
        """Wait for the relay to close the socket: (close code, reason)."""
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), timeout)
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            return (rcvd.code, rcvd.reason) if rcvd else (None, "")


async def open_peer(url: str, peer_id: str, token: str | None = None, **kw: object) -> RawPeer:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    ws = await connect(url, additional_headers=headers, max_size=None, **kw)  # type: ignore[arg-type]
    return RawPeer(ws, peer_id)


def team_relay(root: Path, limits: RelayLimits | None = None) -> Relay:
    """A relay with token auth and team ownership on ``root`` (repo/ and relay/)."""
    limits = limits or RelayLimits()
    authorizer = TeamAuthorizer(root / "relay", max_docs_per_token=limits.max_docs_per_token)
    return Relay(DocumentStore(FileChunkStore(root / "repo")), authorizer=authorizer, limits=limits)


def new_doc(**values: str) -> am.Document:
    doc = am.Document()
    with doc.transaction() as tx:
        for key, value in values.items():
            tx.put(am.ROOT, key, am.ScalarType.Str, value)
    return doc


def edit(store: DocumentStore, doc_id: str, **values: str) -> None:
    """Add ``values`` to the stored document (a new durable incremental)."""
    loaded = store.load(doc_id)
    heads = loaded.doc.get_heads()
    with loaded.doc.transaction() as tx:
        for key, value in values.items():
            tx.put(am.ROOT, key, am.ScalarType.Str, value)
    store.append(doc_id, loaded.doc, heads, loaded.known)


def keys(store: DocumentStore, doc_id: str) -> list[str]:
    return sorted(store.load(doc_id).doc.keys(am.ROOT))


async def push_raw(peer: RawPeer, doc_id: str, store: DocumentStore) -> str:
    """Sync one stored document through ``peer`` (already joined) until the relay has it
    ("synced") or refuses it ("unavailable"); bounded to 10 round trips."""
    from goalsync.protocol.messages import DocUnavailable, Sync
    from goalsync.repo.docsync import DocSync

    doc = DocSync(doc_id, store)
    for _ in range(10):
        data = doc.generate(peer.server)
        if data is not None:
            await peer.send(Sync(peer.peer_id, peer.server, doc_id, data))
        elif doc.in_sync(peer.server):
            return "synced"
        reply = await peer.recv()
        if isinstance(reply, DocUnavailable) and reply.document_id == doc_id:
            return "unavailable"
        if isinstance(reply, Sync) and reply.document_id == doc_id:
            doc.receive(peer.server, reply.data)
    raise AssertionError(f"push of {doc_id} did not settle")
