"""A content-blind relay speaking the automerge-repo protocol (PROTOCOL.md §1.10).

It stores every document it is sent, serves documents by id, and pushes live
changes to every peer that has a document open. It never trusts a client: each
frame is validated, a malformed one closes only that socket, and authorization
is asked at the upgrade and per document.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import socket
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as HttpRequest
from websockets.http11 import Response as HttpResponse

from goalsync.protocol.cbor import ProtocolError
from goalsync.protocol.messages import (
    PROTOCOL_VERSION,
    DocUnavailable,
    Ephemeral,
    Error,
    Join,
    Leave,
    Message,
    Peer,
    PeerMetadata,
    Request,
    Sync,
    UnknownMessageType,
    decode,
    encode,
)
from goalsync.repo.docsync import DocSync
from goalsync.repo.syncmsg import RejectedMessage
from goalsync.storage import DocumentStore, storage_id

from .auth import AllowAll, Authorizer, Principal

__all__ = ["Relay"]

log = logging.getLogger(__name__)

MAX_FRAME = 128 * 1024 * 1024


@dataclass(eq=False)
class _Conn:
    ws: ServerConnection
    peer_id: str
    key: str  # unique per connection: sync states are never shared by two sockets
    principal: Principal
    docs: set[str] = field(default_factory=set)


class Relay:
    """Serve documents from a :class:`DocumentStore` to automerge-repo peers.

    Use ``async with Relay(store) as relay:`` (binds 127.0.0.1 on a free port unless
    told otherwise) or ``await start()`` / ``await stop()``.
    """

    def __init__(
        self,
        store: DocumentStore,
        *,
        authorizer: Authorizer | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        peer_id: str | None = None,
        max_size: int = MAX_FRAME,
        join_timeout: float = 10.0,
    ) -> None:
        self.store = store
        self.storage_id = storage_id(store.chunks)
        self.peer_id = peer_id or f"goalsync-relay-{socket.gethostname()}"
        self.authorizer: Authorizer = authorizer or AllowAll()
        self.host, self.port = host, port
        self.max_size = max_size
        self.join_timeout = join_timeout
        self._server: Server | None = None
        self._principals: dict[ServerConnection, Principal] = {}
        self._by_peer: dict[str, _Conn] = {}
        self._conns: dict[str, _Conn] = {}
        self._docs: dict[str, DocSync] = {}
        self._doc_peers: dict[str, set[str]] = {}
        self._ephemeral_seen: dict[tuple[str, str], int] = {}
        self._serial = itertools.count(1)

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Listen; ``port`` and ``url`` are valid once this returns."""
        self._server = await serve(
            self._handler,
            self.host,
            self.port,
            max_size=self.max_size,
            process_request=self._authenticate,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Relay:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The ws:// URL clients connect to."""
        return f"ws://{self.host}:{self.port}"

    @property
    def connected_peers(self) -> list[str]:
        """Peer ids of the joined connections."""
        return sorted(self._by_peer)

    # -- connections -------------------------------------------------------------------

    def _authenticate(self, ws: ServerConnection, request: HttpRequest) -> HttpResponse | None:
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        principal = self.authorizer.authenticate(request.path, headers)
        if principal is None:
            return ws.respond(HTTPStatus.UNAUTHORIZED, "authentication required\n")
        self._principals[ws] = principal
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        principal = self._principals.pop(ws, None)
        if principal is None:
            await ws.close(1008, "not authenticated")
            return
        try:
            conn = await asyncio.wait_for(self._await_join(ws, principal), self.join_timeout)
        except (asyncio.TimeoutError, ConnectionClosed):
            await ws.close(1008, "no join")
            return
        if conn is None:
            return
        try:
            async for frame in ws:
                if not await self._on_frame(conn, frame):
                    break
        except ConnectionClosed:
            pass
        finally:
            self._drop(conn)
            await ws.close()

    async def _await_join(self, ws: ServerConnection, principal: Principal) -> _Conn | None:
        while True:
            msg = await self._read(ws, await ws.recv())
            if msg is None:
                return None
            if isinstance(msg, Join):
                return await self._accept(ws, principal, msg)
            # rule 2: anything before join is dropped

    async def _read(self, ws: ServerConnection, frame: str | bytes) -> Message | None:
        """Decode a frame; close the socket on a malformed one (returns None then)."""
        if isinstance(frame, str):
            await ws.close(1003, "binary frames only")
            return None
        try:
            return decode(frame, max_size=self.max_size)
        except UnknownMessageType:
            return _IGNORED
        except ProtocolError as exc:
            log.info("closing a connection after a malformed frame: %s", exc)
            await ws.close(1007, "malformed frame")
            return None

    async def _accept(self, ws: ServerConnection, principal: Principal, join: Join) -> _Conn | None:
        versions = join.supported_protocol_versions or (PROTOCOL_VERSION,)
        if PROTOCOL_VERSION not in versions:
            error = Error(self.peer_id, join.sender_id, "unsupported protocol version")
            await self._send(ws, error)
            await ws.close()
            return None
        old = self._by_peer.get(join.sender_id)
        if old is not None:
            self._drop(old)
            await old.ws.close(1000, "replaced by a newer connection with the same peer id")
        conn = _Conn(ws, join.sender_id, f"{join.sender_id}#{next(self._serial)}", principal)
        self._by_peer[conn.peer_id] = conn
        self._conns[conn.key] = conn
        meta = PeerMetadata(self.storage_id, False)
        await self._send(ws, Peer(self.peer_id, conn.peer_id, meta, PROTOCOL_VERSION))
        return conn

    def _drop(self, conn: _Conn) -> None:
        """Rule 5: forget the peer everywhere (idempotent)."""
        if self._conns.pop(conn.key, None) is None:
            return
        if self._by_peer.get(conn.peer_id) is conn:
            del self._by_peer[conn.peer_id]
        for doc_id in conn.docs:
            peers = self._doc_peers.get(doc_id, set())
            peers.discard(conn.key)
            doc = self._docs.get(doc_id)
            if doc is not None:
                doc.remove_peer(conn.key)
            if not peers:
                self._doc_peers.pop(doc_id, None)
                self._docs.pop(doc_id, None)  # durable already; reload on next use
        for key in [k for k in self._ephemeral_seen if k[0] == conn.peer_id]:
            del self._ephemeral_seen[key]

    # -- messages ----------------------------------------------------------------------

    async def _on_frame(self, conn: _Conn, frame: str | bytes) -> bool:
        """Handle one frame; False when the connection must end."""
        msg = await self._read(conn.ws, frame)
        if msg is None:
            return False
        if msg is _IGNORED or getattr(msg, "sender_id", None) != conn.peer_id:
            return True  # rule 2, and unknown types
        if isinstance(msg, (Sync, Request)):
            await self._on_sync(conn, msg)
        elif isinstance(msg, Ephemeral):
            await self._on_ephemeral(conn, msg)
        elif isinstance(msg, Leave):
            return False
        return True  # rule 6: gossip and the rest are ignored

    def _doc(self, doc_id: str) -> DocSync:
        doc = self._docs.get(doc_id)
        if doc is None:
            doc = self._docs[doc_id] = DocSync(doc_id, self.store)
        return doc

    async def _on_sync(self, conn: _Conn, msg: Sync | Request) -> None:
        doc_id = msg.document_id
        if not self.authorizer.may_access(conn.principal, doc_id):
            await self._send(conn.ws, DocUnavailable(self.peer_id, conn.peer_id, doc_id))
            return
        doc = self._doc(doc_id)
        conn.docs.add(doc_id)
        self._doc_peers.setdefault(doc_id, set()).add(conn.key)
        try:
            result = doc.receive(conn.key, msg.data)
        except RejectedMessage as exc:
            log.info("rejected a sync message from %s for %s: %s", conn.peer_id, doc_id, exc)
            return
        if isinstance(msg, Request) and not doc.heads:
            await self._send(conn.ws, DocUnavailable(self.peer_id, conn.peer_id, doc_id))
            return
        await self._sync_to(conn, doc_id, doc)
        if result.changed:
            for key in sorted(self._doc_peers.get(doc_id, set()) - {conn.key}):
                other = self._conns.get(key)
                if other is not None:
                    await self._sync_to(other, doc_id, doc)

    async def _sync_to(self, conn: _Conn, doc_id: str, doc: DocSync) -> None:
        data = doc.generate(conn.key)
        if data is not None:
            await self._send(conn.ws, Sync(self.peer_id, conn.peer_id, doc_id, data))

    async def _on_ephemeral(self, conn: _Conn, msg: Ephemeral) -> None:
        seen_key = (msg.sender_id, msg.session_id)
        if msg.count <= self._ephemeral_seen.get(seen_key, -1):
            return
        self._ephemeral_seen[seen_key] = msg.count
        for key in sorted(self._doc_peers.get(msg.document_id, set()) - {conn.key}):
            other = self._conns.get(key)
            if other is not None:
                await self._send(other.ws, dataclasses.replace(msg, target_id=other.peer_id))

    async def _send(self, ws: ServerConnection, msg: Message) -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(encode(msg))


_IGNORED = Leave("(ignored)")  # sentinel: a well-formed message of an unknown type
