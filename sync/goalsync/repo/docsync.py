"""One document and its per-peer sync states: the engine shared by client, peer and relay.

Every incoming sync message is checked (layout, chunk checksums) and decoded before
it reaches the document. If the binding still fails or panics while applying, the
document is reloaded from storage rather than used poisoned; unsaved local changes
are made durable before each apply so that a reload loses nothing. Changes received
are made durable before the caller is told the heads changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from automerge import core as am

from goalsync.amcore import apply_change_chunks, changes_only_message, is_panic
from goalsync.protocol.docid import validate_document_id
from goalsync.storage import DocumentStore, StorageKey
from goalsync.storage.docstore import INCREMENTAL

from .changelog import ChangeLog, bloom_filter, encode_sync_message
from .syncmsg import RejectedMessage, SyncMessageInfo, carries_changes, inspect_sync_message

__all__ = ["DocSync", "ReceiveResult", "RejectedMessage"]

Heads = tuple[bytes, ...]
FORGET_EVERY = 64  # changes no level peer needs any more, dropped from the log in batches
MAX_BEHIND = 4096  # a level peer this far behind goes back to the binding's sync


class ReceiveResult(NamedTuple):
    """What one received sync message did: our heads before and after, and the sender's.

    A named tuple: a relay builds one per message, several times faster than a frozen
    dataclass."""

    heads_before: Heads
    heads_after: Heads
    their_heads: Heads

    @property
    def changed(self) -> bool:
        """True if the message brought changes we did not have (already stored durably)."""
        return self.heads_before != self.heads_after


@dataclass
class _Peer:
    state: am.SyncState
    their_heads: Heads | None = None  # None: never heard from them
    sent: int = 0
    idle_at: Heads | None = None  # our heads when we last had no changes left to send
    fresh_used: bool = False  # the large-push workaround runs at most once per peer
    responded: bool = False  # this state has sent them a message (the binding's have_responded)
    caught_up: bool = False  # their last message: no changes, no need, and our very heads
    # Level peers (a relay's fast path, see changelog.py): synced without the binding.
    level: bool = False
    acked: int = 0  # the log position of the heads they last told us they have
    sent_to: int = 0  # the log position up to which we sent them changes
    last_sent: Heads | None = None  # the heads our last message to them advertised


def _decode(data: bytes) -> am.Message:
    try:
        return am.Message.decode(data)
    except Exception as exc:
        raise RejectedMessage(f"sync message does not decode: {exc}") from None
    except BaseException as exc:
        if is_panic(exc):
            raise RejectedMessage(f"sync message made the binding panic: {exc}") from None
        raise


class DocSync:
    """A document, the durable store behind it, and one ``SyncState`` per peer.

    With ``fast_forward`` the document is this object's alone: it is changed only through
    its methods (:meth:`receive`, :meth:`refresh`, :meth:`reload`, :meth:`apply_stored`),
    which lets it remember its heads between changes instead of asking the binding each
    time (a relay read them ~10 times per message).
    """

    def __init__(
        self,
        doc_id: str,
        store: DocumentStore,
        *,
        actor_id: bytes | None = None,
        fast_forward: bool = False,
    ) -> None:
        """``fast_forward``: sync peers that are level with us (they acknowledged our
        heads) from a log of the changes applied since, without the binding's O(history)
        sync engine (changelog.py): for a relay, which forwards every change it gets."""
        validate_document_id(doc_id)
        self.doc_id = doc_id
        self.store = store
        self.actor_id = actor_id
        self.problems: list[str] = []
        self._peers: dict[str, _Peer] = {}
        self._received: list[bytes] | None = []  # change entries applied since the last save
        self._heads: Heads | None = None  # remembered with fast_forward (see the class)
        self._log: ChangeLog | None = None
        self.doc, self._known, self._saved = self._load()
        if fast_forward:
            self._log = ChangeLog(self.heads)

    @classmethod
    def adopt(
        cls, doc_id: str, store: DocumentStore, doc: am.Document, known: set[StorageKey]
    ) -> DocSync:
        """Sync a document an application already holds, sharing its ``known`` chunk set.

        The owner keeps persisting its own edits; it calls :meth:`mark_saved` after
        each, so that they are not stored twice. Changes received are stored here.
        """
        self = cls.__new__(cls)
        validate_document_id(doc_id)
        self.doc_id, self.store, self.actor_id = doc_id, store, doc.get_actor()
        self.problems = []
        self._peers = {}
        self._received = []
        self.doc, self._known, self._saved = doc, known, tuple(doc.get_heads())
        self._log = None
        self._heads = None
        return self

    def mark_saved(self) -> None:
        """The owner stored everything up to the current heads itself."""
        self._saved = self.heads
        self._received = []

    def unsaved_changes(self) -> bytes:
        """The change chunks made or received since the last save, concatenated (what
        :meth:`persist` would store), for an owner that stores them its own way.

        After ``receive(..., persist=False)`` only, these are the change entries of the
        messages received, as sent (a change that was a duplicate, or waits for a
        missing dependency, may be among them: loading it again is harmless). That costs
        O(changes received), where asking the binding (``get_changes``) costs
        O(history) on every call, the largest part of a busy relay's work.
        """
        if not self.unsaved:
            return b""
        if self._received is not None:
            return b"".join(self._received)
        return b"".join(change.bytes for change in self.doc.get_changes(list(self._saved)))

    def _load(self) -> tuple[am.Document, set[StorageKey], Heads]:
        if self.store.exists(self.doc_id):
            loaded = self.store.load(self.doc_id, self.actor_id)
            self.problems.extend(loaded.problems)
            doc, known = loaded.doc, loaded.known
        else:
            doc = am.Document(self.actor_id) if self.actor_id is not None else am.Document()
            known = set()
        return doc, known, tuple(doc.get_heads())

    # -- state -----------------------------------------------------------------------

    @property
    def heads(self) -> Heads:
        """Our current heads."""
        heads = self._heads
        if heads is None:
            heads = tuple(self.doc.get_heads())
            if self._log is not None:
                self._heads = heads
        return heads

    @property
    def unsaved(self) -> bool:
        """True if the document holds changes not stored yet (see :meth:`mark_saved`)."""
        return self.heads != self._saved

    @property
    def peers(self) -> list[str]:
        """Peers we hold a sync state for."""
        return list(self._peers)

    def their_heads(self, peer_id: str) -> Heads | None:
        """The heads ``peer_id`` last advertised, or None if it has not spoken yet."""
        peer = self._peers.get(peer_id)
        return peer.their_heads if peer else None

    def in_sync(self, peer_id: str) -> bool:
        """True when the peer's advertised heads equal ours and no changes are pending.

        Pending means the last message generated for the peer carried changes; a
        heads-only acknowledgement does not count.
        """
        peer = self._peers.get(peer_id)
        if peer is None or peer.their_heads is None:
            return False
        heads = self.heads
        return peer.idle_at == heads and set(peer.their_heads) == set(heads)

    def remove_peer(self, peer_id: str) -> None:
        """Forget a peer's sync state (its connection closed)."""
        self._peers.pop(peer_id, None)

    def _peer(self, peer_id: str) -> _Peer:
        peer = self._peers.get(peer_id)
        if peer is None:
            peer = self._peers[peer_id] = _Peer(am.SyncState())
        return peer

    # -- persistence -------------------------------------------------------------------

    def persist(self) -> StorageKey | None:
        """Durably store changes made since the last save (local edits or received)."""
        heads = self.heads
        if heads == self._saved:
            return None
        key = self.store.append(self.doc_id, self.doc, list(self._saved), self._known)
        self.mark_saved()
        return key

    def compact(self, min_incrementals: int) -> bool:
        """Replace the stored chunks by one snapshot if there are ``min_incrementals``
        incremental ones or more (each is a file that every load reads); True if done."""
        if sum(1 for key in self._known if key[1] == INCREMENTAL) < min_incrementals:
            return False
        self.persist()
        self.store.compact(self.doc_id, self.doc, self._known)
        self.mark_saved()
        return True

    def refresh(self) -> bool:
        """Take in chunks other processes stored; True if our heads changed."""
        self.persist()
        before = self.heads
        try:
            self.store.refresh(self.doc_id, self.doc, self._known)
        finally:
            self._heads = None
        self.mark_saved()
        return self._saved != before

    def reload(self) -> None:
        """Replace the document with what storage holds (after a failed apply)."""
        self.doc, self._known, self._saved = self._load()
        self._heads = None
        self._received = []
        if self._log is not None:
            self._log = ChangeLog(self.heads)

    def apply_stored(self, chunks: list[bytes]) -> None:
        """Apply change chunks that are stored already (e.g. a relay's journal), so
        they count as saved. Raises ``CorruptData`` if they do not apply."""
        try:
            apply_change_chunks(self.doc, chunks)
        finally:
            self._heads = None
        self.mark_saved()

    # -- sync --------------------------------------------------------------------------

    def receive(self, peer_id: str, data: bytes, *, persist: bool = True) -> ReceiveResult:
        """Apply one sync message from ``peer_id``; store new changes durably.

        With ``persist=False`` the caller stores them (:meth:`persist`) before telling
        anyone, e.g. once for a batch of messages (the relay's group commit).
        Raises :class:`RejectedMessage` for a malformed or hostile message; the
        document then holds what storage holds (with ``persist=True``: exactly what
        it held before).
        """
        info = inspect_sync_message(data)
        if persist:
            self.persist()
        peer = self._peer(peer_id)
        before = self.heads
        if not (peer.level and self._receive_level(peer, info, before)):
            self._receive_with_binding(peer, info, data)
        after = self.heads
        if persist and after != before:
            self.persist()
        elif not persist and info.change_chunks:
            self._note_received(info)
        return ReceiveResult(before, after, info.heads)

    def _receive_with_binding(self, peer: _Peer, info: SyncMessageInfo, data: bytes) -> None:
        if peer.level:
            self._unlevel(peer)
        message = _decode(data)
        before = self.heads
        self._maybe_restart(peer, info, before)
        self._binding_receive(peer, peer.state, message)
        peer.their_heads = info.heads
        peer.idle_at = None
        peer.caught_up = not info.change_chunks and not info.needs and info.heads == before
        if self._log is not None:
            self._log_applied(info, before)
            if info.v2 and not info.needs and sorted(info.heads) == sorted(self.heads):
                self._make_level(peer, told=self._surely_nothing_to_say(peer))

    def _binding_receive(self, peer: _Peer, state: am.SyncState, message: am.Message) -> None:
        try:
            self.doc.receive_sync_message(state, message)
        except BaseException as exc:
            if not isinstance(exc, Exception) and not is_panic(exc):
                raise
            self._recover(peer)
            raise RejectedMessage(f"sync message could not be applied: {exc}") from None
        finally:
            self._heads = None  # it may have applied changes, or some before failing

    def _note_received(self, info: SyncMessageInfo) -> None:
        """Keep the change entries of a message applied but not stored yet (a whole
        document among them: unknown, so :meth:`unsaved_changes` asks the binding)."""
        if info.carries_document:
            self._received = None
        elif self._received is not None:
            self._received.extend(info.changes)

    def _maybe_restart(self, peer: _Peer, info: SyncMessageInfo, ours: Heads) -> None:
        """PROTOCOL.md §3.4: after we spoke first, a peer answering "I have nothing"
        gets a fresh SyncState, so the next message carries the compressed document
        instead of every change uncompressed."""
        if info.heads or not ours or not peer.sent or peer.fresh_used:
            return
        peer.state = am.SyncState()
        peer.responded = False
        peer.fresh_used = True

    def _recover(self, peer: _Peer) -> None:
        """Reload from storage; every peer's sync state starts again, since changes
        received but not yet stored may be gone and peers must offer them again."""
        self.reload()
        for other in self._peers.values():
            other.state = am.SyncState()
            other.idle_at = None
            other.responded = other.caught_up = other.level = False
        peer.fresh_used = True

    def generate(self, peer_id: str) -> bytes | None:
        """The next sync message for ``peer_id``, or None if there is nothing to say."""
        peer = self._peer(peer_id)
        if peer.level:
            return self._generate_level(peer)
        if self._surely_nothing_to_say(peer):
            peer.idle_at = peer.their_heads
            return None
        message = self.doc.generate_sync_message(peer.state)
        if message is None:
            peer.idle_at = self.heads
            return None
        peer.sent += 1
        peer.responded = True
        data: bytes = message.encode()
        # A message without changes (an ack, or our heads) leaves nothing pending.
        peer.idle_at = None if carries_changes(data) else self.heads
        return data

    def _surely_nothing_to_say(self, peer: _Peer) -> bool:
        """True when the binding is certain to generate nothing, known without asking it.

        The binding answers None when it has sent this peer a message before (its
        ``have_responded``), its last sent heads are our heads, their heads are our
        heads and they lack nothing. A message without changes or needs that
        advertised our very heads made all of that true (receiving it sets the last
        sent heads to them), and it stays true until our heads move. Asking the
        binding would cost O(history); after every peer's acknowledgement, that is
        most of a relay's calls. (Tested against the binding: test_repo_relay_shortcuts.)
        """
        return peer.caught_up and peer.responded and peer.their_heads == self.heads

    def count_changes_since(self, heads: Heads) -> int:
        """How many changes the document has beyond ``heads`` (which it must contain)."""
        return len(self.doc.get_changes(list(heads)))

    # -- level peers (fast_forward) ----------------------------------------------------

    def _receive_level(self, peer: _Peer, info: SyncMessageInfo, before: Heads) -> bool:
        """Take a level peer's message without the binding's sync engine; False if it
        is not one the log can answer (the caller then hands it to the binding)."""
        log = self._log
        assert log is not None
        if info.needs or info.carries_document or not info.v2:
            return False
        if not info.changes:  # an acknowledgement
            position = log.position(info.heads)
            if position is None or position < peer.acked:
                return False
            peer.acked = position
            peer.sent_to = max(peer.sent_to, position)
            peer.their_heads = info.heads
            peer.idle_at = None
            peer.caught_up = info.heads == before
            self._forget_unneeded()
            return True
        if None in info.hashes:
            return False
        self._sync_log()
        # Their changes alone, without their heads: O(changes) in the binding.
        self._binding_receive(peer, am.SyncState(), _decode(changes_only_message(info.chunks)))
        self._log_applied(info, before)
        if sorted(info.heads) != sorted(self.heads):
            return False  # we hold changes they lack, or they hold some we lack
        peer.acked = peer.sent_to = log.end
        peer.their_heads = info.heads
        peer.idle_at = None
        peer.caught_up = False
        return True

    def _generate_level(self, peer: _Peer) -> bytes | None:
        """What the binding would send a level peer, from the log."""
        log = self._log
        assert log is not None
        self._sync_log()
        heads = log.heads
        changes = log.chunks_since(peer.sent_to)
        if not changes and peer.last_sent == heads:
            peer.idle_at = heads
            return None
        if changes and peer.sent_to > peer.acked:
            # Changes sent are not acknowledged yet (flow control): what came since goes in
            # one message on their next acknowledgement, so a client that falls behind is
            # not buried under one message, and one answer of its own, per change.
            return None
        bloom = bloom_filter(log.hashes_since(peer.acked))
        data = encode_sync_message(heads, log.heads_at(peer.acked), bloom, changes)
        peer.sent_to = log.end
        peer.last_sent = heads
        peer.sent += 1
        peer.responded = True
        peer.idle_at = None if changes else heads
        return data

    def _make_level(self, peer: _Peer, *, told: bool) -> None:
        """The peer has exactly our heads: sync it from the log from now on. ``told``:
        it knows we have them too (else the next message tells it, as the binding would)."""
        assert self._log is not None
        self._sync_log()
        peer.level = True
        peer.acked = peer.sent_to = self._log.end
        peer.last_sent = self._log.heads if told else None

    def _unlevel(self, peer: _Peer) -> None:
        """Hand the peer back to the binding, with a fresh sync state (the binding has no
        record of what the log sent it: at worst it sends some changes again)."""
        peer.level = False
        peer.state = am.SyncState()
        peer.responded = peer.caught_up = False
        peer.last_sent = None

    def _log_applied(self, info: SyncMessageInfo, before: Heads) -> None:
        """Record in the log what applying ``info``'s changes did to our heads."""
        log = self._log
        assert log is not None
        after = self.heads
        if after == before:
            return
        hashes = [h for h in info.hashes if h is not None]
        if len(hashes) == len(info.hashes) and log.accounts_for(before, after, info.chunks, hashes):
            log.extend(info.chunks, hashes, after)
        else:
            self._sync_log()

    def _sync_log(self) -> None:
        """Bring the log up to our heads, asking the binding for what it missed (a local
        edit, a change applied outside sync): O(history), but rare on a relay."""
        log = self._log
        assert log is not None
        heads = self.heads
        if log.heads == heads:
            return
        changes = self.doc.get_changes(list(log.heads))
        log.extend([c.bytes for c in changes], [c.hash for c in changes], heads)
        if len(log.chunks) > MAX_BEHIND:
            for peer in self._peers.values():
                if peer.level and peer.acked < log.end - MAX_BEHIND // 2:
                    self._unlevel(peer)
            self._forget_unneeded()

    def _forget_unneeded(self) -> None:
        log = self._log
        assert log is not None
        keep = min((p.acked for p in self._peers.values() if p.level), default=log.end)
        if keep - log.base >= FORGET_EVERY:
            log.forget_before(keep)
