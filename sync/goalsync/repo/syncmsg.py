"""Structural checks of an encoded Automerge sync message (PROTOCOL.md §1.5).

The binding decodes a sync message lazily and, given junk change chunks, may
silently drop them or fail half-way through applying. Checking the whole layout
first (every hash list, bloom filter and chunk length, each chunk's magic bytes
and checksum) lets a hostile message be rejected with a clear reason before it
touches a document.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from goalsync.amcore import MAGIC, SYNC_V1, SYNC_V2, CorruptData, read_uleb
from goalsync.protocol.cbor import ProtocolError

__all__ = ["RejectedMessage", "SyncMessageInfo", "carries_changes", "inspect_sync_message"]

HASH = 32
CHUNK_DOCUMENT = 0
CHUNK_CHANGE = 1
CHUNK_COMPRESSED = 2


class RejectedMessage(ProtocolError):
    """A sync message refused before or while applying it; the document is unchanged."""


class SyncMessageInfo(NamedTuple):
    """What a relay or client needs to know about a sync message without applying it.

    A named tuple: immutable, and built several times faster than a frozen dataclass
    (one per message a relay receives)."""

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


def _uleb(data: bytes, pos: int, what: str) -> tuple[int, int]:
    """The uLEB128 at ``pos`` and the position after it (one byte inline: most are)."""
    if pos < len(data) and data[pos] < 0x80:
        return data[pos], pos + 1
    try:
        return read_uleb(data, pos)
    except CorruptData as exc:
        raise RejectedMessage(f"sync message: {what}: {exc}") from None


def _skip(data: bytes, pos: int, size: int, what: str) -> int:
    """The position ``size`` bytes after ``pos``, which must be inside ``data``."""
    end = pos + size
    if end > len(data):
        raise RejectedMessage(f"sync message truncated in {what}")
    return end


def _hashes(data: bytes, pos: int, what: str) -> tuple[tuple[bytes, ...], int]:
    count, pos = _uleb(data, pos, what)
    end = _skip(data, pos, count * HASH, what)
    return tuple(data[at : at + HASH] for at in range(pos, end, HASH)), end


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
    data = bytes(data)
    heads, pos = _hashes(data, 1, "heads")
    needs, pos = _uleb(data, pos, "need count")
    pos = _skip(data, pos, needs * HASH, "need")
    haves, pos = _uleb(data, pos, "have count")
    for _ in range(haves):
        count, pos = _uleb(data, pos, "have lastSync")
        pos = _skip(data, pos, count * HASH, "have lastSync")
        size, pos = _uleb(data, pos, "bloom length")
        pos = _skip(data, pos, size, "bloom filter")
    carries_document = False
    count, pos = _uleb(data, pos, "change count")
    changes = []
    chunks: list[bytes] = []
    hashes: list[bytes | None] = []
    for index in range(count):
        size, pos = _uleb(data, pos, "change length")
        end = _skip(data, pos, size, "changes")
        entry = data[pos:end]
        pos = end
        carries_document |= _check_chunk(entry, index, chunks, hashes) == CHUNK_DOCUMENT
        changes.append(entry)
    if pos < len(data):
        size, pos = _uleb(data, pos, "trailer length")
        if _skip(data, pos, size, "trailer") != len(data):
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
