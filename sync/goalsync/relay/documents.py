"""Routing of sync and ephemeral messages between the relay's peers, per document.

Ownership is settled before content is stored: a peer that is about to store the
first content of a document claims it for its team (and may be refused, e.g. over
its quota), and only peers allowed to access a document are ever sent anything
about it. "Denied" and "missing" get the same ``doc-unavailable``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections import deque
from typing import TYPE_CHECKING

from goalsync.amcore import CorruptData
from goalsync.protocol.messages import (
    DocUnavailable,
    Ephemeral,
    Leave,
    Message,
    Request,
    Sync,
    encode,
)
from goalsync.repo.docsync import DocSync
from goalsync.repo.syncmsg import RejectedMessage, inspect_sync_message

from .firstpush import FirstPush, ack_message, read_first_push
from .wire import encode_sync

if TYPE_CHECKING:
    from .server import Conn, Relay

__all__ = ["IGNORED", "DocumentRouter"]

log = logging.getLogger(__name__)

IGNORED = Leave("(ignored)")  # sentinel: a well-formed message of an unknown type
UNAVAILABLE = "unavailable"  # outcome of a message: answer doc-unavailable
COMPACT_AT = 64
"""Incremental files of a document loaded from the store from which the relay replaces
them by one snapshot: the journal adds one per checkpoint in which the document
changed, and every load reads them all."""


@dataclasses.dataclass
class _Applied:
    """What applying a batch of messages to one document did, to store and answer."""

    doc: DocSync | None = None
    replies: dict[str, Conn] = dataclasses.field(default_factory=dict)
    unavailable: list[Conn] = dataclasses.field(default_factory=list)
    changed: bool = False


class DocumentRouter:
    """The open documents, who has each open, and the messages between them."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.conns: dict[str, Conn] = {}
        self.docs: dict[str, DocSync] = {}
        self.doc_peers: dict[str, set[str]] = {}
        self.ephemeral_seen: dict[tuple[str, str], int] = {}
        self.queues: dict[str, deque[tuple[Conn, Sync | Request]]] = {}
        self.workers: dict[str, asyncio.Future[None]] = {}  # a worker task, or a commit
        self.unloaded: dict[str, tuple[bytes, ...]] = {}  # first pushes stored, not yet loaded

    def forget(self, conn: Conn) -> bool:
        """Remove the peer from every document; False if it was already gone."""
        if self.conns.pop(conn.key, None) is None:
            return False
        for doc_id in conn.docs:
            peers = self.doc_peers.get(doc_id, set())
            peers.discard(conn.key)
            doc = self.docs.get(doc_id)
            if doc is not None:
                doc.remove_peer(conn.key)
            if not peers:
                self.doc_peers.pop(doc_id, None)
                self._close_doc_if_unused(doc_id)
        for key in [k for k in self.ephemeral_seen if k[0] == conn.peer_id]:
            del self.ephemeral_seen[key]
        return True

    async def idle(self) -> None:
        """Wait until every queued message has been served (and its changes stored)."""
        while self.workers:
            await asyncio.gather(*self.workers.values(), return_exceptions=True)

    def dispatch(self, conn: Conn, msg: Message) -> bool:
        """Handle one decoded message at once; False when the connection must end."""
        if msg is IGNORED or getattr(msg, "sender_id", None) != conn.peer_id:
            return True  # rule 2, and unknown types
        if isinstance(msg, (Sync, Request)):
            self._on_sync(conn, msg)
        elif isinstance(msg, Ephemeral):
            self._on_ephemeral(conn, msg)
        elif isinstance(msg, Leave):
            return False
        return True  # rule 6: gossip and the rest are ignored

    def _doc(self, doc_id: str) -> DocSync:
        doc = self.docs.get(doc_id)
        if doc is None:
            doc = self.docs[doc_id] = DocSync(doc_id, self.relay.store, fast_forward=True)
            self._take_journaled(doc)
            self._compact(doc)
            pushed = self.unloaded.pop(doc_id, None)
            if pushed is not None and set(doc.heads) != set(pushed):
                log.warning(
                    "document %s: the snapshot pushed first did not load, so it is not served (%s)",
                    doc_id,
                    "; ".join(doc.problems) or "heads differ",
                )
        return doc

    def _compact(self, doc: DocSync) -> None:
        """Fold a just-loaded document's many incremental files into one snapshot (it is
        in memory already; its changes still in the journal are in the snapshot too)."""
        try:
            if doc.compact(COMPACT_AT):
                log.info("document %s: its stored changes were compacted", doc.doc_id)
        except OSError as exc:  # nothing is lost: the files it would replace remain
            log.warning("document %s: could not compact its storage: %s", doc.doc_id, exc)

    def take_stored_changes(self, doc_id: str) -> bool:
        """Take in chunks other processes stored for an open ``doc_id``, and send its peers
        what they lack. True if the document changed.

        Used where the relay shares its store with a running goaltui (``relay --stdio``).
        """
        doc = self.docs.get(doc_id)
        if doc is None or doc_id in self.workers:
            return False  # not open, or a batch is being served (it sends what is new)
        if not doc.refresh():
            return False
        for key in sorted(self.doc_peers.get(doc_id, ())):
            conn = self.conns.get(key)
            if conn is not None and self._may_access(conn, doc_id):
                self._sync_to(conn, doc_id, doc)
        return True

    def _may_access(self, conn: Conn, doc_id: str) -> bool:
        return self.relay.authorizer.may_access(conn.principal, doc_id)

    def _unavailable(self, conn: Conn, doc_id: str) -> None:
        conn.send(encode(DocUnavailable(self.relay.peer_id, conn.peer_id, doc_id)))

    def _claim(self, conn: Conn, doc: DocSync, data: bytes) -> bool | None:
        """Settle ownership before ``data`` is applied: None if no claim was needed or
        made, True if this message made a new claim, False if storing is refused."""
        ownership = self.relay.ownership
        if ownership is None:
            return None
        if doc.heads:  # content already stored: (re)confirm the owner, legacy data included
            return None if ownership.claim(conn.principal, doc.doc_id) else False
        try:
            carries = inspect_sync_message(data).change_chunks > 0
        except RejectedMessage:
            return None  # receive() rejects and logs it
        if not carries:
            return None
        return bool(ownership.claim(conn.principal, doc.doc_id))

    def _on_sync(self, conn: Conn, msg: Sync | Request) -> None:
        """Serve the message at once if its document is idle and loaded, else queue it
        for the document's worker.

        At once means: applied now, and answered now unless it brought changes, which a
        worker then stores before answering. So an acknowledgement (most messages) costs
        no task switch, and a document waiting for its disk write never holds up another
        document's messages.
        """
        doc_id = msg.document_id
        doc = self.docs.get(doc_id)
        if doc_id not in self.workers and doc is not None and doc.heads:
            try:
                self._serve_now(conn, msg)
            except Exception:
                log.exception("relay: failed to serve document %s", doc_id)
            return
        self.queues.setdefault(doc_id, deque()).append((conn, msg))
        if doc_id not in self.workers:
            self.workers[doc_id] = asyncio.ensure_future(self._work(doc_id))

    def _serve_now(self, conn: Conn, msg: Sync | Request) -> None:
        """:meth:`_on_sync`'s at-once path: what ``_apply_batch`` and ``_answer`` do for a
        batch of this one message, without building the batch (most messages are
        acknowledgements: this runs for nearly every frame)."""
        doc_id = msg.document_id
        outcome = self._apply(conn, msg)
        if outcome is None:
            return
        if isinstance(outcome, str):
            self._unavailable(conn, doc_id)
            return
        doc, changed = outcome
        if changed or doc.unsaved:
            self._store_then_answer(conn, doc)
            return
        self._sync_to(conn, doc_id, doc)

    def _store_then_answer(self, conn: Conn, doc: DocSync) -> None:
        """Store what a message from ``conn`` served at once changed, then answer and
        forward: with a journal, from a callback on its commit (no task per edit); else
        the document's worker does it."""
        applied = _Applied(doc, {conn.key: conn}, [], True)
        journal = self.relay.journal
        data = doc.unsaved_changes() if journal is not None else b""
        if journal is None or not data:
            self.workers[doc.doc_id] = asyncio.ensure_future(self._work(doc.doc_id, applied))
            return
        committed = journal.commit_soon(doc.doc_id, data)
        self.workers[doc.doc_id] = committed
        committed.add_done_callback(functools.partial(self._stored, doc, applied, doc.heads))

    def _stored(
        self,
        doc: DocSync,
        applied: _Applied,
        heads: tuple[bytes, ...],
        committed: asyncio.Future[None],
    ) -> None:
        """:meth:`_store_then_answer`'s commit is done: what :meth:`_work` does after
        storing (answer and forward, or log the failure), then the messages that came
        for the document meanwhile go to its worker."""
        doc_id = doc.doc_id
        del self.workers[doc_id]
        try:
            committed.result()
            if doc.heads == heads:
                doc.mark_saved()
            self._answer(doc_id, applied)
        except Exception:
            log.exception("relay: failed to serve document %s", doc_id)
        self._next_worker(doc_id)

    def _next_worker(self, doc_id: str) -> None:
        """A document's worker or commit is done: messages that came meanwhile go to a new
        worker; else the document closes if nobody has it open."""
        if self.queues.get(doc_id):
            self.workers[doc_id] = asyncio.ensure_future(self._work(doc_id))
        else:
            self.queues.pop(doc_id, None)
            self._close_doc_if_unused(doc_id)

    async def _work(self, doc_id: str, applied: _Applied | None = None) -> None:
        """Group commit: apply every queued message, store once, then answer and forward.

        Messages that arrive while the batch is being stored wait for the next batch, so
        nothing is answered or forwarded before it is durable, and a burst on a document
        costs one write and one message per peer instead of one per change. ``applied``
        is a message :meth:`_on_sync` applied already, to store and answer first.
        """
        queue = self.queues.setdefault(doc_id, deque())
        try:
            if applied is not None:
                await self._store_and_answer(doc_id, applied)
            while queue:
                batch = list(queue)
                queue.clear()
                await self._batch(doc_id, batch)
        except Exception:
            log.exception("relay: failed to serve document %s", doc_id)
        finally:
            del self.workers[doc_id]
            self._next_worker(doc_id)  # messages that arrived during a failure above

    async def _batch(self, doc_id: str, batch: list[tuple[Conn, Sync | Request]]) -> None:
        if await self._first_push(doc_id, *batch[0]):
            batch = batch[1:]
        await self._store_and_answer(doc_id, self._apply_batch(batch))

    def _apply_batch(self, batch: list[tuple[Conn, Sync | Request]]) -> _Applied:
        applied = _Applied()
        for conn, msg in batch:
            if conn.key not in self.conns:
                continue  # gone meanwhile
            outcome = self._apply(conn, msg)
            if outcome is None or isinstance(outcome, str):
                if outcome == UNAVAILABLE:
                    applied.unavailable.append(conn)
                continue
            applied.doc, did_change = outcome
            applied.changed |= did_change
            applied.replies[conn.key] = conn
        if applied.doc is not None and applied.doc.unsaved:
            applied.changed = True  # also what an earlier round failed to store (disk full)
        return applied

    async def _store_and_answer(self, doc_id: str, applied: _Applied) -> None:
        if applied.changed and applied.doc is not None:
            await self._persist(applied.doc)  # durable before anyone hears of it
        self._answer(doc_id, applied)

    def _answer(self, doc_id: str, applied: _Applied) -> None:
        """Answer the senders of an applied batch, and forward what it changed."""
        for conn in applied.unavailable:
            self._unavailable(conn, doc_id)
        doc = applied.doc
        if doc is None:
            return
        replies = applied.replies
        targets = list(replies.values())
        if applied.changed:
            targets += [c for c in self._others_of(set(replies), doc_id) if c.key not in replies]
        for conn in targets:
            self._sync_to(conn, doc_id, doc)

    async def _persist(self, doc: DocSync) -> None:
        """Store the changes ``doc`` received: through the journal if the relay has one."""
        journal = self.relay.journal
        if journal is None:
            await asyncio.to_thread(doc.persist)
            return
        heads = doc.heads
        data = doc.unsaved_changes()
        if data:
            await journal.commit(doc.doc_id, data)
        if doc.heads == heads:
            doc.mark_saved()

    def _take_journaled(self, doc: DocSync) -> None:
        """Give a document loaded from the store the changes still only in the journal."""
        journal = self.relay.journal
        chunks = journal.pending(doc.doc_id) if journal is not None else []
        if not chunks:
            return
        try:
            doc.apply_stored(chunks)
        except CorruptData as exc:  # our own durable bytes: should never happen
            log.error("document %s: journaled changes do not apply: %s", doc.doc_id, exc)

    async def _first_push(self, doc_id: str, conn: Conn, msg: Sync | Request) -> bool:
        """Store a new document's first push without decoding it (see ``firstpush``);
        False if ``msg`` is not one, and the ordinary path must serve it."""
        push = self._as_first_push(doc_id, conn, msg)
        if push is None:
            return False
        ownership = self.relay.ownership
        if ownership is not None and not ownership.claim(conn.principal, doc_id):
            self._unavailable(conn, doc_id)
            return True
        try:
            await asyncio.to_thread(self.relay.store.chunks.save, push.key(doc_id), push.chunk)
        except BaseException:
            if ownership is not None:
                ownership.release(conn.principal, doc_id)
            raise
        self.docs.pop(doc_id, None)  # empty until now; loaded from the snapshot when needed
        self.unloaded[doc_id] = push.heads
        conn.docs.add(doc_id)
        self.doc_peers.setdefault(doc_id, set()).add(conn.key)
        conn.send(encode_sync(self.relay.peer_id, conn.peer_id, doc_id, ack_message(push.heads)))
        return True

    def _as_first_push(self, doc_id: str, conn: Conn, msg: Sync | Request) -> FirstPush | None:
        """The pushed document, if ``msg`` is the first content of ``doc_id`` and only
        its sender has the document open (nobody else waits to be sent it)."""
        if not isinstance(msg, Sync) or conn.key not in self.conns:
            return None
        doc = self.docs.get(doc_id)
        if (doc is not None and doc.heads) or self.doc_peers.get(doc_id, set()) - {conn.key}:
            return None
        if not self._may_access(conn, doc_id):
            return None
        push = read_first_push(msg.data)
        journal = self.relay.journal
        if push is None or self.relay.store.exists(doc_id):
            return None
        if journal is not None and journal.pending(doc_id):
            return None
        return push

    def _apply(self, conn: Conn, msg: Sync | Request) -> tuple[DocSync, bool] | str | None:
        """Apply one message: (the document, whether it changed), UNAVAILABLE, or None
        for a rejected message."""
        doc_id = msg.document_id
        if not self._may_access(conn, doc_id):
            return UNAVAILABLE
        doc = self._doc(doc_id)
        claimed = self._claim(conn, doc, msg.data)
        if claimed is False:
            return UNAVAILABLE
        conn.docs.add(doc_id)
        self.doc_peers.setdefault(doc_id, set()).add(conn.key)
        loaded = doc.doc
        try:
            result = doc.receive(conn.key, msg.data, persist=False)
        except RejectedMessage as exc:
            log.info("rejected a sync message from %s for %s: %s", conn.peer_id, doc_id, exc)
            if doc.doc is not loaded:  # it failed half-way and reloaded from the store
                self._take_journaled(doc)
            return None
        finally:
            if claimed and not doc.heads and self.relay.ownership is not None:
                self.relay.ownership.release(conn.principal, doc_id)
        if isinstance(msg, Request) and not doc.heads:
            return UNAVAILABLE
        return doc, result.changed

    def _close_doc_if_unused(self, doc_id: str) -> None:
        if not self.doc_peers.get(doc_id) and doc_id not in self.workers:
            self.docs.pop(doc_id, None)  # durable already; reloaded on next use

    def _others(self, conn: Conn, doc_id: str) -> list[Conn]:
        """The other peers with ``doc_id`` open that may still access it."""
        return self._others_of({conn.key}, doc_id)

    def _others_of(self, keys: set[str], doc_id: str) -> list[Conn]:
        """The peers with ``doc_id`` open, but ``keys``, that may still access it; peers
        that lost access (another team claimed the document) leave its peer set."""
        peers = self.doc_peers.get(doc_id, set())
        result = []
        for key in sorted(peers - keys):
            other = self.conns.get(key)
            if other is None:
                continue
            if not self._may_access(other, doc_id):
                peers.discard(key)
                other.docs.discard(doc_id)
                doc = self.docs.get(doc_id)
                if doc is not None:
                    doc.remove_peer(key)
                continue
            result.append(other)
        return result

    def _sync_to(self, conn: Conn, doc_id: str, doc: DocSync) -> None:
        data = doc.generate(conn.key)
        if data is not None:
            conn.send(encode_sync(self.relay.peer_id, conn.peer_id, doc_id, data))

    def _on_ephemeral(self, conn: Conn, msg: Ephemeral) -> None:
        if not self._may_access(conn, msg.document_id):
            return
        seen_key = (msg.sender_id, msg.session_id)
        if msg.count <= self.ephemeral_seen.get(seen_key, -1):
            return
        self.ephemeral_seen[seen_key] = msg.count
        for other in self._others(conn, msg.document_id):
            other.send(encode(dataclasses.replace(msg, target_id=other.peer_id)))
