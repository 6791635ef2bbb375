"""The WebSocket client: join a relay or peer, sync documents, once or continuously.

Joins with a fresh ``py-<hex>`` peer id and ``isEphemeral: true`` (the binding
cannot persist a SyncState, so the server must not keep one for us). A join that
gets no answer within ``join_timeout`` is retried on a new socket: the official
server silently drops joins in its first milliseconds (PROTOCOL.md §1.7).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from goalsync.protocol.cbor import ProtocolError
from goalsync.protocol.messages import (
    PROTOCOL_VERSION,
    DocUnavailable,
    Error,
    Join,
    Message,
    Peer,
    PeerMetadata,
    Request,
    Sync,
    decode,
    encode,
)
from goalsync.storage import DocumentStore

from .docsync import DocSync, Heads
from .status import StatusTracker, SyncStatus
from .syncmsg import RejectedMessage

__all__ = ["SyncClient", "SyncError", "SyncRefused", "SyncSummary", "sync_once"]

log = logging.getLogger(__name__)

MAX_FRAME = 128 * 1024 * 1024  # the official server accepts up to 100 MiB
# A server applying a large document (100k records: seconds of CPU, far more on a busy
# machine) cannot answer pings meanwhile; websockets' default 20 s dropped such pushes.
PING_TIMEOUT = 90.0
ChangeListener = Callable[[str, Heads], None]
SocketFactory = Callable[[], Awaitable[socket.socket]]


class SyncError(Exception):
    """Sync could not be done; the message says why and what to try."""


class SyncRefused(SyncError):
    """The server answered but refused us (HTTP status, or an ``error`` message); retrying
    would not help."""


@dataclass
class SyncSummary:
    """What one sync did, for the CLI and the status line."""

    synced: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    changes_in: int = 0
    changes_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    frames_in: int = 0
    frames_out: int = 0
    bad_frames: int = 0
    server_peer_id: str | None = None
    server_storage_id: str | None = None
    attempts: int = 0


def _new_peer_id() -> str:
    return "py-" + secrets.token_hex(8)


class SyncClient:
    """Sync a set of documents with one server or peer over a WebSocket."""

    def __init__(
        self,
        url: str,
        store: DocumentStore,
        doc_ids: Iterable[str],
        *,
        token: str | None = None,
        actor_id: bytes | None = None,
        join_timeout: float = 1.0,
        join_attempts: int = 5,
        max_size: int = MAX_FRAME,
        on_change: ChangeListener | None = None,
        docs: Mapping[str, DocSync] | None = None,
        connect_socket: SocketFactory | None = None,
    ) -> None:
        # connect_socket: a fresh connected socket per attempt (e.g. an ssh:// transport);
        # url then only names the peer in messages
        if connect_socket is None and not url.startswith(("ws://", "wss://")):
            raise SyncError(f"{url!r} is not a WebSocket URL; use ws://host:port or wss://…")
        self.url = url
        self.docs = {doc_id: DocSync(doc_id, store, actor_id=actor_id) for doc_id in doc_ids}
        self.docs.update(docs or {})
        self.status = StatusTracker()
        self.summary = SyncSummary()
        self.peer_id = _new_peer_id()
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._join_timeout = join_timeout
        self._join_attempts = join_attempts
        self._max_size = max_size
        self._on_change = on_change
        self._connect_socket = connect_socket
        self._ws: ClientConnection | None = None
        self._remote: str | None = None
        self._unavailable: set[str] = set()
        self._start_heads: dict[str, Heads] = {}
        self._their_first: dict[str, Heads] = {}

    # -- public ------------------------------------------------------------------------

    async def sync_once(self, *, timeout: float = 60.0) -> SyncSummary:
        """Connect, sync every document until both sides agree, disconnect."""
        self.summary = SyncSummary()
        self._start_heads = {d: s.heads for d, s in self.docs.items()}
        self._their_first.clear()
        try:
            ws = await self._open()
            try:
                await asyncio.wait_for(self._session(ws, until_done=True), timeout)
            finally:
                await self._close(ws)
        except asyncio.TimeoutError:
            self.status.set(SyncStatus.error, "timed out")
            raise SyncError(f"sync with {self.url} did not finish within {timeout:g} s") from None
        except ConnectionClosed:
            self.status.set(SyncStatus.error, "connection closed")
            raise SyncError(f"{self.url} closed the connection before sync finished") from None
        except SyncError as exc:
            self.status.set(SyncStatus.error, str(exc))
            raise
        self._finish_summary()
        self.status.set(SyncStatus.synced)
        return self.summary

    async def run(
        self,
        stop: asyncio.Event | None = None,
        *,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        """Stay connected, syncing live changes both ways; reconnect with backoff.

        Returns when ``stop`` is set. Raises :class:`SyncError` only when the
        server refuses us (retrying would not help).
        """
        stop = stop or asyncio.Event()
        delay = backoff
        while not stop.is_set():
            try:
                ws = await self._open()
            except SyncRefused as exc:
                self.status.set(SyncStatus.error, str(exc))
                raise
            except SyncError as exc:
                self.status.set(SyncStatus.offline, f"{exc}; retrying in {delay:g} s")
                await _sleep_unless(stop, delay)
                delay = min(delay * 2, max_backoff)
                continue
            delay = backoff
            await self._serve_until(ws, stop)
            await _sleep_unless(stop, backoff)
        self.status.set(SyncStatus.offline)

    async def local_changed(self, doc_id: str) -> None:
        """Persist and push local edits (and changes other processes stored) for ``doc_id``."""
        doc = self.docs[doc_id]
        changed = doc.refresh()
        if changed and self._on_change:
            self._on_change(doc_id, doc.heads)
        if self._ws is not None and self._remote is not None:
            await self._push(doc_id, doc)

    # -- connection --------------------------------------------------------------------

    async def _serve_until(self, ws: ClientConnection, stop: asyncio.Event) -> None:
        session = asyncio.ensure_future(self._session(ws, until_done=False))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({session, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            session.cancel()
            await asyncio.gather(session, stopper, return_exceptions=True)
            await self._close(ws)
        if stop.is_set():
            return
        exc = session.exception() if session.done() and not session.cancelled() else None
        log.info("sync connection to %s ended: %s", self.url, exc or "closed")
        self.status.set(SyncStatus.offline, f"disconnected: {exc or 'closed by the other side'}")

    async def _open(self) -> ClientConnection:
        self.status.set(SyncStatus.connecting)
        last = "no attempt made"
        for attempt in range(self._join_attempts):
            self.summary.attempts += 1
            if attempt:
                await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
            self.peer_id = _new_peer_id()
            try:
                sock = await self._connect_socket() if self._connect_socket else None
                ws = await connect(
                    self.url if sock is None else "ws://localhost/",
                    sock=sock,
                    additional_headers=self._headers,
                    max_size=self._max_size,
                    open_timeout=10,
                    ping_timeout=PING_TIMEOUT,
                )
            except InvalidStatus as exc:
                code = exc.response.status_code
                hint = " (check the token)" if code in (401, 403) else ""
                raise SyncRefused(f"{self.url} refused the connection: HTTP {code}{hint}") from None
            except InvalidURI as exc:
                raise SyncRefused(f"invalid URL {self.url!r}: {exc}") from None
            except (OSError, InvalidHandshake, asyncio.TimeoutError) as exc:
                last = f"cannot connect: {exc}"
                continue
            try:
                await asyncio.wait_for(self._join(ws), self._join_timeout)
                return ws
            except asyncio.TimeoutError:
                last = f"no answer to join within {self._join_timeout:g} s"
            except ConnectionClosed:
                last = "the connection closed during join"
            except SyncError:
                await self._close(ws)
                raise
            await self._close(ws)
        raise SyncError(f"could not join {self.url} after {self._join_attempts} attempts: {last}")

    async def _join(self, ws: ClientConnection) -> None:
        join = Join(self.peer_id, PeerMetadata(None, True), (PROTOCOL_VERSION,))
        await self._send_on(ws, join)
        while True:
            msg = self._decode(await ws.recv())
            if isinstance(msg, Peer) and msg.target_id == self.peer_id:
                self._remote = msg.sender_id
                self.summary.server_peer_id = msg.sender_id
                meta = msg.peer_metadata
                self.summary.server_storage_id = meta.storage_id if meta else None
                return
            if isinstance(msg, Error):
                raise SyncRefused(f"{self.url} refused to sync: {msg.message}")

    async def _close(self, ws: ClientConnection) -> None:
        if self._remote is not None:
            for doc in self.docs.values():
                doc.remove_peer(self._remote)
        self._ws = None
        self._remote = None
        await ws.close()

    async def _session(self, ws: ClientConnection, *, until_done: bool) -> None:
        self._ws = ws
        self._unavailable.clear()
        self.status.set(SyncStatus.syncing)
        for doc_id, doc in self.docs.items():
            await self._push(doc_id, doc, first=True)
        self._update_status()
        if until_done and self._all_done():
            return
        async for frame in ws:
            await self._handle(frame)
            self._update_status()
            if until_done and self._all_done():
                return

    # -- messages ----------------------------------------------------------------------

    def _decode(self, frame: str | bytes) -> Message | None:
        self.summary.frames_in += 1
        self.summary.bytes_in += len(frame)
        if isinstance(frame, str):
            self.summary.bad_frames += 1
            return None
        try:
            return decode(frame, max_size=self._max_size)
        except ProtocolError as exc:
            self.summary.bad_frames += 1
            log.warning("ignoring a malformed frame from %s: %s", self.url, exc)
            return None

    async def _handle(self, frame: str | bytes) -> None:
        msg = self._decode(frame)
        if msg is None or getattr(msg, "target_id", self.peer_id) != self.peer_id:
            return
        if isinstance(msg, (Sync, Request)):
            await self._on_sync(msg)
        elif isinstance(msg, DocUnavailable):
            doc = self.docs.get(msg.document_id)
            if doc is None:
                return
            if not doc.heads:
                self._unavailable.add(msg.document_id)
            else:  # we offered the document and the other side will not take it
                self.summary.rejected[msg.document_id] = (
                    "the server refused this document (another team may own it, "
                    "or the token reached its document limit)"
                )
        elif isinstance(msg, Error):
            log.warning("%s reported an error: %s", self.url, msg.message)

    async def _on_sync(self, msg: Sync | Request) -> None:
        doc = self.docs.get(msg.document_id)
        if doc is None or self._remote is None:
            return  # not a document we asked for
        try:
            result = doc.receive(self._remote, msg.data)
        except RejectedMessage as exc:
            self.summary.rejected[msg.document_id] = str(exc)
            log.warning("rejected a sync message for %s: %s", msg.document_id, exc)
            return
        if result.their_heads:
            self._unavailable.discard(msg.document_id)
        self._their_first.setdefault(msg.document_id, result.their_heads)
        if result.changed and self._on_change:
            self._on_change(msg.document_id, result.heads_after)
        await self._push(msg.document_id, doc)

    async def _push(self, doc_id: str, doc: DocSync, *, first: bool = False) -> None:
        if self._ws is None or self._remote is None:
            return
        data = doc.generate(self._remote)
        if data is None:
            return
        kind = Request if first and not doc.heads else Sync
        await self._send_on(self._ws, kind(self.peer_id, self._remote, doc_id, data))

    async def _send_on(self, ws: ClientConnection, msg: Message) -> None:
        frame = encode(msg)
        self.summary.frames_out += 1
        self.summary.bytes_out += len(frame)
        await ws.send(frame)

    # -- progress ----------------------------------------------------------------------

    def _doc_done(self, doc_id: str, doc: DocSync) -> bool:
        if doc_id in self._unavailable or doc_id in self.summary.rejected:
            return True
        return self._remote is not None and doc.in_sync(self._remote)

    def _all_done(self) -> bool:
        return all(self._doc_done(d, s) for d, s in self.docs.items())

    def _update_status(self) -> None:
        self.status.set(SyncStatus.synced if self._all_done() else SyncStatus.syncing)

    def _finish_summary(self) -> None:
        summary = self.summary
        for doc_id, doc in self.docs.items():
            if doc_id in summary.rejected:
                continue
            if doc_id in self._unavailable or not doc.heads:
                summary.unavailable.append(doc_id)
                continue
            summary.synced.append(doc_id)
            summary.changes_in += doc.count_changes_since(self._start_heads.get(doc_id, ()))
            summary.changes_out += doc.count_changes_since(self._their_first.get(doc_id, ()))


async def _sleep_unless(stop: asyncio.Event, delay: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)


async def sync_once(
    url: str,
    store: DocumentStore,
    doc_ids: Iterable[str],
    token: str | None = None,
    *,
    timeout: float = 60.0,
    actor_id: bytes | None = None,
) -> SyncSummary:
    """Sync ``doc_ids`` in ``store`` with the server at ``url`` once; see :class:`SyncClient`."""
    client = SyncClient(url, store, doc_ids, token=token, actor_id=actor_id)
    return await client.sync_once(timeout=timeout)
