"""Automerge documents over a ChunkStore: snapshots plus an append-only change log.

Layout and names follow automerge-repo (PROTOCOL.md §1.9): ``(doc, "snapshot",
heads_name)`` holds a full save, ``(doc, "incremental", sha256(bytes))`` holds change
chunks. Names are content hashes and writes are atomic, so appends and refreshes from
several processes need no lock; only compaction (which deletes) takes one.

Invariant kept by every method: ``known`` holds only keys whose whole content is in
the caller's document, so compaction may delete exactly those once its snapshot is
durable. A chunk whose changes wait for missing dependencies is never in ``known``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from automerge import core as am

from goalsync.amcore import CorruptData, apply_change_chunks, load_document
from goalsync.storage.chunks import ChangeInfo, heads_name, parse_changes, snapshot_heads
from goalsync.storage.chunkstore import ChunkStore
from goalsync.storage.fingerprint import fingerprint_keys
from goalsync.storage.keys import StorageKey, check_doc_id
from goalsync.storage.verify import applied_keys, has_change

__all__ = ["INCREMENTAL", "SNAPSHOT", "DocumentStore", "LoadedDocument"]


SNAPSHOT = "snapshot"
INCREMENTAL = "incremental"

Incremental = tuple[StorageKey, list[ChangeInfo]]


@dataclass
class LoadedDocument:
    """A document as loaded from storage, with what it was made of."""

    doc: am.Document
    known: set[StorageKey] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


class DocumentStore:
    """Load, append to, refresh and compact Automerge documents in a ChunkStore.

    ``problems`` collects the messages of refresh and compact (load returns its own):
    what was moved aside and why. Callers may show and clear it.
    """

    def __init__(self, chunks: ChunkStore) -> None:
        self.chunks = chunks
        self.problems: list[str] = []
        self._local_locks: dict[str, threading.Lock] = {}
        self._local_guard = threading.Lock()

    # -- names ---------------------------------------------------------------------------

    def _keys(self, doc_id: str) -> tuple[list[StorageKey], list[StorageKey]]:
        snaps: list[StorageKey] = [
            k for k in self.chunks.list_range((doc_id, SNAPSHOT)) if len(k) == 3
        ]
        incs: list[StorageKey] = [
            k for k in self.chunks.list_range((doc_id, INCREMENTAL)) if len(k) == 3
        ]
        return snaps, incs

    def exists(self, doc_id: str) -> bool:
        """True if any snapshot or incremental of ``doc_id`` is stored."""
        snaps, incs = self._keys(check_doc_id(doc_id))
        return bool(snaps or incs)

    def fingerprint(self, doc_id: str) -> str:
        """A hash of the chunk names: changes whenever the set of chunks changes."""
        snaps, incs = self._keys(check_doc_id(doc_id))
        return fingerprint_keys(snaps + incs)

    def documents(self) -> list[str]:
        """Ids of the documents that have a snapshot or an incremental."""
        return sorted({k[0] for k in self.chunks.list_range(()) if len(k) == 3 and k[1] in _KINDS})

    def sizes(self, doc_id: str) -> dict[str, int]:
        """Bytes and counts of snapshots and incrementals (for ``goaltui doctor``)."""
        check_doc_id(doc_id)
        out = {}
        for kind, label in ((SNAPSHOT, "snapshot"), (INCREMENTAL, "incremental")):
            chunks = self.chunks.load_range((doc_id, kind))
            out[f"{label}_bytes"] = sum(len(data) for _, data in chunks)
            out[f"{label}_count"] = len(chunks)
        return out

    def remove(self, doc_id: str) -> None:
        """Delete every chunk of ``doc_id`` (snapshots, incrementals, sync states)."""
        self.chunks.remove_range((check_doc_id(doc_id),))

    # -- load ----------------------------------------------------------------------------

    def load(self, doc_id: str, actor_id: bytes | None = None) -> LoadedDocument:
        """Load everything valid; move damaged chunks aside and say so in ``problems``."""
        check_doc_id(doc_id)
        problems: list[str] = []
        for _ in range(_LOAD_TRIES):
            snaps_keys, inc_keys = self._keys(doc_id)
            snap_data, snaps_gone = self._read(snaps_keys)
            inc_data, incs_gone = self._read(inc_keys)
            if not (snaps_gone or incs_gone):
                break  # else a compaction removed chunks meanwhile: list again
        snaps = self._valid_snapshots(snap_data, problems)
        incs = self._valid_incrementals(inc_data, problems)
        data = b"".join([d for _, d in snaps] + [c.chunk for _, infos in incs for c in infos])
        try:
            doc = load_document(data, actor_id)
            snap_ok = [k for k, _ in snaps]
        except CorruptData:
            doc, snap_ok = self._load_piecewise(snaps, incs, actor_id, problems)
        known = set(snap_ok) | applied_keys(doc, incs, problems)
        return LoadedDocument(doc, known, problems)

    def _load_piecewise(
        self,
        snaps: list[tuple[StorageKey, bytes]],
        incs: list[Incremental],
        actor_id: bytes | None,
        problems: list[str],
    ) -> tuple[am.Document, list[StorageKey]]:
        doc = am.Document(actor_id) if actor_id is not None else am.Document()
        snap_ok = []
        for key, data in snaps:
            try:
                doc.merge(load_document(data))
                snap_ok.append(key)
            except CorruptData as exc:
                problems.append(self._quarantine(key, str(exc)))
        for key, infos in incs:
            try:
                apply_change_chunks(doc, [c.chunk for c in infos])
            except CorruptData as exc:
                problems.append(self._quarantine(key, str(exc)))
        return doc, snap_ok

    def _read(self, keys: Sequence[StorageKey]) -> tuple[list[tuple[StorageKey, bytes]], bool]:
        """The chunks of ``keys`` in name order, and whether any had vanished."""
        out = []
        for key in sorted(keys):
            data = self.chunks.load(key)
            if data is not None:
                out.append((key, data))
        return out, len(out) < len(keys)

    def _valid_snapshots(
        self, chunks: list[tuple[StorageKey, bytes]], problems: list[str]
    ) -> list[tuple[StorageKey, bytes]]:
        out = []
        for key, data in chunks:
            try:
                snapshot_heads(data)
            except CorruptData as exc:
                problems.append(self._quarantine(key, str(exc)))
                continue
            out.append((key, data))
        return out

    def _valid_incrementals(
        self, chunks: list[tuple[StorageKey, bytes]], problems: list[str]
    ) -> list[Incremental]:
        out = []
        for key, data in chunks:
            try:
                out.append((key, parse_changes(data)))
            except CorruptData as exc:
                problems.append(self._quarantine(key, str(exc)))
        return out

    # -- append and refresh --------------------------------------------------------------

    def append(
        self, doc_id: str, doc: am.Document, since_heads: list[bytes], known: set[StorageKey]
    ) -> StorageKey | None:
        """Durably store the changes of ``doc`` since ``since_heads``; None if none."""
        check_doc_id(doc_id)
        changes = doc.get_changes(list(since_heads))
        if not changes:
            return None
        data = b"".join(change.bytes for change in changes)
        key = (doc_id, INCREMENTAL, hashlib.sha256(data).hexdigest())
        self.chunks.save(key, data)
        known.add(key)
        return key

    def refresh(self, doc_id: str, doc: am.Document, known: set[StorageKey]) -> list[StorageKey]:
        """Take in chunks other processes wrote since; returns the keys added to ``known``.

        With nothing new this only lists names. Keys that vanished (compacted by another
        process) are dropped from ``known``.
        """
        check_doc_id(doc_id)
        snaps, incs = self._keys(doc_id)
        known.intersection_update(set(snaps) | set(incs))
        added = self._take_snapshots(doc, [k for k in snaps if k not in known])
        inc_data, _ = self._read([k for k in incs if k not in known])
        new_incs = self._valid_incrementals(inc_data, self.problems)
        if new_incs:
            self._apply(doc, new_incs)
            waiting: list[str] = []  # reported again at every refresh: say it once
            added += sorted(applied_keys(doc, new_incs, waiting))
            self.problems.extend(m for m in waiting if m not in self.problems)
        known.update(added)
        return added

    def _take_snapshots(self, doc: am.Document, keys: list[StorageKey]) -> list[StorageKey]:
        added = []
        snap_data, _ = self._read(keys)
        for key, data in self._valid_snapshots(snap_data, self.problems):
            heads = snapshot_heads(data)
            current = set(doc.get_heads())
            if heads is not None and all(has_change(doc, h, current) for h in heads):
                added.append(key)  # already in doc: nothing to merge
                continue
            try:
                doc.merge(load_document(data))
            except CorruptData as exc:
                self.problems.append(self._quarantine(key, str(exc)))
                continue
            added.append(key)
        return added

    def _apply(self, doc: am.Document, incs: list[Incremental]) -> None:
        try:
            apply_change_chunks(doc, [c.chunk for _, infos in incs for c in infos])
            return
        except CorruptData:
            pass
        for key, infos in incs:  # find the culprit; the good ones still apply
            try:
                apply_change_chunks(doc, [c.chunk for c in infos])
            except CorruptData as exc:
                self.problems.append(self._quarantine(key, str(exc)))

    # -- compact -------------------------------------------------------------------------

    def compact(self, doc_id: str, doc: am.Document, known: set[StorageKey]) -> StorageKey:
        """Replace the chunks ``doc`` covers by one durable snapshot; returns its key.

        Runs under an exclusive lock; chunks written concurrently that ``doc`` has not
        taken in are never removed.
        """
        check_doc_id(doc_id)
        with self._exclusive(doc_id):
            self.refresh(doc_id, doc, known)
            key = (doc_id, SNAPSHOT, heads_name(doc.get_heads()))
            self.chunks.save(key, doc.save())
            for old in sorted(known - {key}):
                self.chunks.remove(old)
            known.clear()
            known.add(key)
            sweep = getattr(self.chunks, "remove_stale_temporaries", None)
            if sweep is not None:
                sweep((doc_id,))
        return key

    def _exclusive(self, doc_id: str) -> AbstractContextManager[None]:
        exclusive = getattr(self.chunks, "exclusive", None)
        if exclusive is not None:
            lock: AbstractContextManager[None] = exclusive(doc_id)
            return lock
        return self._local_lock(doc_id)

    @contextmanager
    def _local_lock(self, doc_id: str) -> Iterator[None]:
        with self._local_guard:
            lock = self._local_locks.setdefault(doc_id, threading.Lock())
        with lock:
            yield

    def _quarantine(self, key: StorageKey, reason: str) -> str:
        """Move a damaged chunk aside (never delete it); returns the message to show."""
        what = f"{key[1]} {key[2]} of document {key[0]} is damaged ({reason})"
        mover = getattr(self.chunks, "quarantine", None)
        if mover is None:
            message = f"{what}; left in place and skipped"
        else:
            where = mover(key)
            message = f"{what}; moved to {where}" if where else f"{what}; it has gone since"
        import logging  # rare: only damaged chunks are logged

        logging.getLogger(__name__).warning("%s", message)
        return message


_KINDS = (SNAPSHOT, INCREMENTAL)
_LOAD_TRIES = 5
