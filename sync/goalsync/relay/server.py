"""A content-blind relay speaking the automerge-repo protocol (PROTOCOL.md §1.10).

It stores every document it is sent, serves documents by id, and pushes live
changes to every peer that has a document open. It never trusts a client: each
frame is validated, a malformed one closes only that socket, each connection is
held to :class:`RelayLimits`, and authorization is asked at the upgrade and per
document. Every change is stored durably before it is acknowledged or forwarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import ssl as ssl_module
import time
import weakref
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from pathlib import Path
from types import TracebackType

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as HttpRequest
from websockets.http11 import Response as HttpResponse

from goalsync.protocol.cbor import ProtocolError
from goalsync.protocol.messages import (
    PROTOCOL_VERSION,
    Error,
    Join,
    Message,
    Peer,
    PeerMetadata,
    UnknownMessageType,
    encode,
)
from goalsync.storage import DocumentStore, storage_id

from .auth import AllowAll, Authorizer, Ownership, Principal
from .connection import RelayConnection, close_connection
from .deflate import large_message_deflate
from .documents import IGNORED, DocumentRouter
from .journal import Journal
from .limits import RelayLimits, TokenBucket
from .logs import websockets_logger
from .wire import decode_frame

__all__ = ["BANNER", "MAX_FRAME", "Relay", "RelayLimits"]

log = logging.getLogger(__name__)

MAX_FRAME = RelayLimits().max_frame
LISTEN_BACKLOG = 1024  # hundreds of devices reconnecting at once (a relay restart) all get in
BANNER = "goaltui relay: an automerge-repo sync server. Connect with a WebSocket client.\n"


@dataclass(eq=False)
class Conn:
    """One joined connection."""

    ws: RelayConnection
    peer_id: str
    key: str  # unique per connection: sync states are never shared by two sockets
    principal: Principal
    bucket: TokenBucket
    docs: set[str] = field(default_factory=set)
    closing: asyncio.Task[None] | None = None
    seen: float = field(default_factory=time.monotonic)  # when it last sent a frame

    def send(self, frame: bytes) -> None:
        """Send an encoded message now (nothing to await; a closed socket is no error)."""
        self.ws.send_now(frame)

    def close(self, code: int, reason: str) -> None:
        """Start closing from outside the connection's handler (which owns ``recv``); the
        handler then finds the connection dropped and drains it."""
        if self.closing is None:
            self.closing = asyncio.ensure_future(self.ws.close(code, reason))


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
        max_size: int | None = None,
        join_timeout: float | None = None,
        limits: RelayLimits | None = None,
        ssl: ssl_module.SSLContext | None = None,
        journal_dir: Path | None = None,
    ) -> None:
        limits = limits or RelayLimits()
        if max_size is not None:
            limits = replace(limits, max_frame=max_size)
        if join_timeout is not None:
            limits = replace(limits, join_timeout=join_timeout)
        self.limits = limits
        self.store = store
        self.storage_id = storage_id(store.chunks)
        self.peer_id = peer_id or f"goalsync-relay-{socket.gethostname()}"
        self.authorizer: Authorizer = authorizer or AllowAll()
        self.ownership = self.authorizer if isinstance(self.authorizer, Ownership) else None
        self.host, self.port = host, port
        self.ssl = ssl
        self.journal = Journal(journal_dir, store) if journal_dir is not None else None
        self.router = DocumentRouter(self)
        self._server: Server | None = None
        self._recheck: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._principals: weakref.WeakKeyDictionary[ServerConnection, Principal] = (
            weakref.WeakKeyDictionary()
        )
        self._by_peer: dict[str, Conn] = {}
        self._serial = 0

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Listen; ``port`` and ``url`` are valid once this returns.

        Changes a crash left in the journal are moved into the store first.
        """
        if self.journal is not None:
            moved = self.journal.recover()
            if moved:
                log.info("moved %d journaled changes into the store", moved)
        self._server = await serve(
            self._handler,
            self.host,
            self.port,
            max_size=self.limits.max_frame,
            process_request=self._process_request,
            ssl=self.ssl,
            # permessage-deflate when the peer offers it, for messages of 1 KB or more
            # (deflate.py). max_size bounds the inflated size.
            compression=None,
            extensions=[large_message_deflate()],
            create_connection=RelayConnection,
            backlog=LISTEN_BACKLOG,
            ping_interval=self.limits.ping_interval,
            ping_timeout=self.limits.ping_timeout,
            logger=websockets_logger(),
        )
        self.port = self._server.sockets[0].getsockname()[1]
        if self.ownership is not None:
            self._recheck = asyncio.create_task(self._recheck_tokens())
        self._sweeper = asyncio.create_task(self._sweep_idle())

    async def stop(self) -> None:
        """Stop accepting, close every connection, and wait for their handlers to finish.

        A change is stored before it is acknowledged, so nothing acknowledged is lost.
        """
        for task in (self._recheck, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._recheck = self._sweeper = None
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self.router.idle()
        if self.journal is not None:
            await self.journal.close()

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
        """The ws:// (or wss:// with TLS) URL clients connect to."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'wss' if self.ssl else 'ws'}://{host}:{self.port}"

    @property
    def connected_peers(self) -> list[str]:
        """Peer ids of the joined connections."""
        return sorted(self._by_peer)

    # -- connections -------------------------------------------------------------------

    def _process_request(self, ws: ServerConnection, request: HttpRequest) -> HttpResponse | None:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return ws.respond(HTTPStatus.OK, BANNER)
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        principal = self.authorizer.authenticate(request.path, headers)
        if principal is None:
            return ws.respond(HTTPStatus.UNAUTHORIZED, "a valid device token is required\n")
        self._principals[ws] = principal
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        assert isinstance(ws, RelayConnection)  # serve() makes only those
        principal = self._principals.pop(ws, None)
        if principal is None:
            await close_connection(ws, 1008, "not authenticated")
            return
        bucket = TokenBucket(self.limits.rate, self.limits.burst)
        try:
            async with asyncio.timeout(self.limits.join_timeout):
                conn = await self._await_join(ws, principal, bucket)
        except TimeoutError:
            log.info(
                "closing a connection of %r: no join within %gs",
                principal.name,
                self.limits.join_timeout,
            )
            await close_connection(ws, 1008, f"no join within {self.limits.join_timeout:g} s")
            return
        except ConnectionClosed:
            return
        if conn is None:
            return
        try:
            await self._serve(conn)
        except ConnectionClosed:
            pass
        finally:
            self._drop(conn)
            await close_connection(ws)

    async def _serve(self, conn: Conn) -> None:
        """Serve a joined peer. Its whole binary frames take the synchronous path
        (:meth:`_on_frame`); what still comes through ``recv`` (frames that arrived before
        the join was answered, text and fragmented frames) takes this one, in order."""
        conn.ws.frame_handler = functools.partial(self._on_frame, conn)
        while True:
            frame = await conn.ws.recv()
            conn.seen = time.monotonic()
            if conn.key not in self.router.conns or conn.closing is not None:
                return  # dropped: revoked, replaced, idle, flooding
            if not conn.bucket.take():
                await self._flooded(conn.ws, conn.principal)
                return
            msg = await self._read(conn.ws, frame)
            if msg is None or not self.router.dispatch(conn, msg):
                return

    def _on_frame(self, conn: Conn, frame: bytes) -> None:
        """One whole binary frame from a joined peer, handled as soon as it is parsed."""
        if conn.closing is not None or conn.key not in self.router.conns:
            return  # closing: what else it sent is dropped
        conn.seen = time.monotonic()
        if not conn.bucket.take():
            log.warning(
                "closing a connection of %r: over %g messages/s",
                conn.principal.name,
                self.limits.rate,
            )
            conn.close(1008, "message rate limit exceeded")
            return
        try:
            msg = decode_frame(frame, self.limits.max_frame)
        except UnknownMessageType:
            return
        except ProtocolError as exc:
            log.info("closing a connection after a malformed frame: %s", exc)
            conn.close(1007, "malformed frame")
            return
        try:
            if not self.router.dispatch(conn, msg):
                conn.close(1000, "")
        except Exception:
            log.exception("relay: failed to handle a message from %s", conn.peer_id)
            conn.close(1011, "internal error")

    async def _sweep_idle(self) -> None:
        """Close connections that sent nothing for ``idle_timeout`` seconds."""
        idle = self.limits.idle_timeout
        while True:
            await asyncio.sleep(min(idle / 3, 10.0))
            now = time.monotonic()
            for conn in list(self.router.conns.values()):
                if now - conn.seen > idle and conn.closing is None:
                    log.info(
                        "closing idle peer %s (%r) after %gs",
                        conn.peer_id,
                        conn.principal.name,
                        idle,
                    )
                    conn.close(1001, f"idle for {idle:g} s")

    async def _flooded(self, ws: ServerConnection, principal: Principal) -> None:
        log.warning(
            "closing a connection of %r: over %g messages/s", principal.name, self.limits.rate
        )
        await close_connection(ws, 1008, "message rate limit exceeded")

    async def _await_join(
        self, ws: RelayConnection, principal: Principal, bucket: TokenBucket
    ) -> Conn | None:
        while True:
            frame = await ws.recv()
            if not bucket.take():
                await self._flooded(ws, principal)
                return None
            msg = await self._read(ws, frame)
            if msg is None:
                return None
            if isinstance(msg, Join):
                return await self._accept(ws, principal, bucket, msg)
            # rule 2: anything before join is dropped

    async def _read(self, ws: ServerConnection, frame: str | bytes) -> Message | None:
        """Decode a frame; close the socket on a malformed one (returns None then)."""
        if isinstance(frame, str):
            await close_connection(ws, 1003, "binary frames only")
            return None
        try:
            return decode_frame(frame, self.limits.max_frame)
        except UnknownMessageType:
            return IGNORED
        except ProtocolError as exc:
            log.info("closing a connection after a malformed frame: %s", exc)
            await close_connection(ws, 1007, "malformed frame")
            return None

    async def _accept(
        self, ws: RelayConnection, principal: Principal, bucket: TokenBucket, join: Join
    ) -> Conn | None:
        versions = join.supported_protocol_versions or (PROTOCOL_VERSION,)
        if PROTOCOL_VERSION not in versions:
            await self.send(ws, Error(self.peer_id, join.sender_id, "unsupported protocol version"))
            await close_connection(ws)
            return None
        old = self._by_peer.get(join.sender_id)
        if old is not None and old.principal != principal:
            log.warning(
                "refused %r: peer id %s belongs to another device's connection",
                principal.name,
                join.sender_id,
            )
            await self.send(ws, Error(self.peer_id, join.sender_id, "peer id in use"))
            await close_connection(ws, 1008, "peer id in use")
            return None
        if old is not None:
            self._drop(old)
            old.close(1000, "replaced by a newer connection with the same peer id")
        self._serial += 1
        key = f"{join.sender_id}#{self._serial}"
        conn = Conn(ws, join.sender_id, key, principal, bucket)
        ws.max_buffer = self.limits.max_unread
        self._by_peer[conn.peer_id] = conn
        self.router.conns[conn.key] = conn
        log.info("peer %s joined as %r", conn.peer_id, principal.name)
        meta = PeerMetadata(self.storage_id, False)
        await self.send(ws, Peer(self.peer_id, conn.peer_id, meta, PROTOCOL_VERSION))
        return conn

    def _drop(self, conn: Conn) -> None:
        """Rule 5: forget the peer everywhere (idempotent)."""
        if not self.router.forget(conn):
            return
        if self._by_peer.get(conn.peer_id) is conn:
            del self._by_peer[conn.peer_id]

    async def _recheck_tokens(self) -> None:
        """Close connections whose token was revoked since they connected."""
        assert self.ownership is not None
        while True:
            await asyncio.sleep(self.limits.recheck_interval)
            for conn in list(self.router.conns.values()):
                if not self.ownership.still_valid(conn.principal):
                    log.info(
                        "closing peer %s: token %r was revoked", conn.peer_id, conn.principal.name
                    )
                    self._drop(conn)
                    conn.close(1008, "token revoked")

    async def send(self, ws: ServerConnection, msg: Message) -> None:
        """Send one message; a socket that closed meanwhile is not an error."""
        with contextlib.suppress(ConnectionClosed):
            await ws.send(encode(msg))
