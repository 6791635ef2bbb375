"""One document and its per-peer sync states: the engine shared by client, peer and relay.

Every incoming sync message is checked (layout, chunk checksums) and decoded before
it reaches the document. If the binding still fails or panics while applying, the
document is reloaded from storage rather than used poisoned; unsaved local changes
are made durable before each apply so that a reload loses nothing. Changes received
are made durable before the caller is told the heads changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from automerge import core as am

from goalsync.amcore import is_panic
from goalsync.protocol.docid import validate_document_id
from goalsync.storage import DocumentStore, StorageKey
from goalsync.storage.docstore import INCREMENTAL

from .syncmsg import RejectedMessage, SyncMessageInfo, carries_changes, inspect_sync_message

__all__ = ["DocSync", "ReceiveResult", "RejectedMessage"]

Heads = tuple[bytes, ...]


@dataclass(frozen=True)
class ReceiveResult:
    """What one received sync message did: our heads before and after, and the sender's."""

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
    """A document, the durable store behind it, and one ``SyncState`` per peer."""

    def __init__(self, doc_id: str, store: DocumentStore, *, actor_id: bytes | None = None) -> None:
        validate_document_id(doc_id)
        self.doc_id = doc_id
        self.store = store
        self.actor_id = actor_id
        self.problems: list[str] = []
        self._peers: dict[str, _Peer] = {}
        self._received: list[bytes] | None = []  # change entries applied since the last save
        self.doc, self._known, self._saved = self._load()

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
        return tuple(self.doc.get_heads())

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
        self.store.refresh(self.doc_id, self.doc, self._known)
        self.mark_saved()
        return self._saved != before

    def reload(self) -> None:
        """Replace the document with what storage holds (after a failed apply)."""
        self.doc, self._known, self._saved = self._load()
        self._received = []

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
        message = _decode(data)
        if persist:
            self.persist()
        peer = self._peer(peer_id)
        before = self.heads
        self._maybe_restart(peer, info, before)
        try:
            self.doc.receive_sync_message(peer.state, message)
        except BaseException as exc:
            if not isinstance(exc, Exception) and not is_panic(exc):
                raise
            self._recover(peer)
            raise RejectedMessage(f"sync message could not be applied: {exc}") from None
        peer.their_heads = info.heads
        peer.idle_at = None
        peer.caught_up = not info.change_chunks and not info.needs and info.heads == before
        after = self.heads
        if persist and after != before:
            self.persist()
        elif not persist and info.change_chunks:
            self._note_received(info)
        return ReceiveResult(before, after, info.heads)

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
            other.responded = other.caught_up = False
        peer.fresh_used = True

    def generate(self, peer_id: str) -> bytes | None:
        """The next sync message for ``peer_id``, or None if there is nothing to say."""
        peer = self._peer(peer_id)
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
