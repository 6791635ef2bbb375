"""Structural checks of an encoded Automerge sync message (PROTOCOL.md §1.5).

The binding decodes a sync message lazily and, given junk change chunks, may
silently drop them or fail half-way through applying. Checking the whole layout
first (every hash list, bloom filter and chunk length, each chunk's magic bytes
and checksum) lets a hostile message be rejected with a clear reason before it
touches a document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from goalsync.amcore import MAGIC, SYNC_V1, SYNC_V2, CorruptData, read_uleb
from goalsync.protocol.cbor import ProtocolError

__all__ = ["RejectedMessage", "SyncMessageInfo", "carries_changes", "inspect_sync_message"]

HASH = 32
CHUNK_DOCUMENT = 0
CHUNK_CHANGE = 1
CHUNK_COMPRESSED = 2


class RejectedMessage(ProtocolError):
    """A sync message refused before or while applying it; the document is unchanged."""


@dataclass(frozen=True)
class SyncMessageInfo:
    """What a relay or client needs to know about a sync message without applying it."""

    heads: tuple[bytes, ...]
    carries_document: bool
    needs: int  # how many changes the sender asks for
    changes: tuple[bytes, ...]  # the change entries, as sent (checked, not decoded)
    chunks: tuple[bytes, ...] = ()  # the entries' chunks, one by one (v2 may pack several)
    hashes: tuple[bytes | None, ...] = ()  # per chunk: its hash if an uncompressed change
    v2: bool = False  # the sender writes v2 messages (several chunks per entry)

    @property
    def change_chunks(self) -> int:
        """How many change entries the message carries."""
        return len(self.changes)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def uleb(self, what: str) -> int:
        try:
            value, self.pos = read_uleb(self.data, self.pos)
        except CorruptData as exc:
            raise RejectedMessage(f"sync message: {what}: {exc}") from None
        return value

    def take(self, n: int, what: str) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise RejectedMessage(f"sync message truncated in {what}")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def skip(self, n: int, what: str) -> None:
        if self.pos + n > len(self.data):
            raise RejectedMessage(f"sync message truncated in {what}")
        self.pos += n

    def skip_hashes(self, what: str) -> None:
        self.skip(self.uleb(what) * HASH, what)

    def hashes(self, what: str) -> tuple[bytes, ...]:
        count = self.uleb(what)
        raw = self.take(count * HASH, what)
        return tuple(raw[i : i + HASH] for i in range(0, len(raw), HASH))


def _check_one(entry: bytes, pos: int, index: int) -> tuple[int, int, bytes | None]:
    """Check the chunk at ``pos`` of an entry; returns its kind, where the next one
    starts, and its hash (None for a compressed chunk, whose hash needs inflating)."""
    if len(entry) - pos < 10 or entry[pos : pos + 4] != MAGIC:
        raise RejectedMessage(f"sync message: change {index} is not an Automerge chunk")
    kind = entry[pos + 8]
    try:
        length, body_start = read_uleb(entry, pos + 9)
    except CorruptData:
        raise RejectedMessage(f"sync message: change {index} has a bad length") from None
    end = body_start + length
    if end > len(entry):
        raise RejectedMessage(f"sync message: change {index} length does not match its header")
    digest = None
    if kind in (CHUNK_DOCUMENT, CHUNK_CHANGE):
        digest = hashlib.sha256(entry[pos + 8 : end]).digest()
        if digest[:4] != entry[pos + 4 : pos + 8]:
            raise RejectedMessage(f"sync message: change {index} fails its checksum")
    elif kind != CHUNK_COMPRESSED:
        raise RejectedMessage(f"sync message: change {index} has unknown chunk type {kind}")
    return kind, end, digest


def _check_chunk(entry: bytes, index: int, chunks: list[bytes], hashes: list[bytes | None]) -> int:
    """Check every chunk of one entry of a message's changes, adding each to ``chunks``
    with its change hash to ``hashes`` (None unless an uncompressed change); returns
    the first one's kind.

    A v2 message (0x43) may pack several change chunks back to back in one entry
    (seen from the Rust core); a v1 entry holds exactly one.
    """
    kinds: list[int] = []
    pos = 0
    while not kinds or pos < len(entry):
        kind, end, digest = _check_one(entry, pos, index)
        kinds.append(kind)
        chunks.append(entry[pos:end])
        hashes.append(digest if kind == CHUNK_CHANGE else None)
        pos = end
    return kinds[0]


def inspect_sync_message(data: bytes) -> SyncMessageInfo:
    """Check the layout of ``data``; raises :class:`RejectedMessage` naming the problem."""
    if not data or data[0] not in (SYNC_V1, SYNC_V2):
        raise RejectedMessage("not an Automerge sync message (bad first byte)")
    cur = _Cursor(bytes(data))
    cur.pos = 1
    heads = cur.hashes("heads")
    needs = cur.uleb("need count")
    cur.skip(needs * HASH, "need")
    for _ in range(cur.uleb("have count")):
        cur.skip_hashes("have lastSync")
        cur.skip(cur.uleb("bloom length"), "bloom filter")
    carries_document = False
    count = cur.uleb("change count")
    changes = []
    chunks: list[bytes] = []
    hashes: list[bytes | None] = []
    for index in range(count):
        entry = cur.take(cur.uleb("change length"), "changes")
        carries_document |= _check_chunk(entry, index, chunks, hashes) == CHUNK_DOCUMENT
        changes.append(entry)
    if cur.pos < len(cur.data):
        cur.skip(cur.uleb("trailer length"), "trailer")
        if cur.pos != len(cur.data):
            raise RejectedMessage("sync message has trailing bytes after its trailer")
    v2 = data[0] == SYNC_V2
    return SyncMessageInfo(
        heads, carries_document, needs, tuple(changes), tuple(chunks), tuple(hashes), v2
    )


def carries_changes(data: bytes) -> bool:
    """True if a sync message we generated ourselves carries changes.

    Skips the checks of :func:`inspect_sync_message` (our own output needs none), so it
    costs a few dozen bytes read, not a checksum of every change.
    """
    pos = 1
    count, pos = read_uleb(data, pos)  # heads
    pos += count * HASH
    count, pos = read_uleb(data, pos)  # need
    pos += count * HASH
    haves, pos = read_uleb(data, pos)
    for _ in range(haves):
        count, pos = read_uleb(data, pos)
        pos += count * HASH
        length, pos = read_uleb(data, pos)
        pos += length
    changes, _ = read_uleb(data, pos)
    return changes > 0
