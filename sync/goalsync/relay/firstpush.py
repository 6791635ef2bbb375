"""The first push of a new document: stored as received, decoded only when first needed.

A client pushing a workspace to a relay that does not have it sends one v2 sync message
whose only change entry is the whole document, compressed (one document chunk).
Decoding it costs the binding a full ``load`` (0.18 s at 10k records, 2.7 s at 100k,
holding the GIL) and storing it as changes costs a ``get_changes`` of every change. A
relay needs neither to store it: the chunk is checked (magic, length, checksum; its
heads must be the ones the message advertises), written durably as the document's
snapshot, in the automerge-repo layout, under the name its heads give, and
acknowledged with a hand-built sync message that advertises those heads.

The document is loaded from that snapshot when someone next needs it. The binding's
``load`` verifies the heads it recomputes against the chunk's header, so a chunk that
checksums but does not decode, or lies about its heads, fails there; storage moves it
aside (quarantine) and the document counts as missing. It is never served: serving
always goes through a loaded document. See docs/relay.md, "First push".
"""

from __future__ import annotations

from dataclasses import dataclass

from goalsync.amcore import SYNC_V2, CorruptData, read_uleb
from goalsync.repo.changelog import encode_sync_message
from goalsync.storage.chunks import heads_name, snapshot_heads
from goalsync.storage.docstore import SNAPSHOT
from goalsync.storage.keys import StorageKey

__all__ = ["FirstPush", "ack_message", "read_first_push"]

HASH = 32


@dataclass(frozen=True)
class FirstPush:
    """A whole document pushed as one chunk: where it goes and the heads it holds."""

    chunk: bytes
    heads: tuple[bytes, ...]

    def key(self, doc_id: str) -> StorageKey:
        """The snapshot key automerge-repo would give this document (PROTOCOL.md §1.9)."""
        return (doc_id, SNAPSHOT, heads_name(self.heads))


def _skip_hashes(data: bytes, pos: int) -> tuple[int, int]:
    count, pos = read_uleb(data, pos)
    return count, pos + count * HASH


def _only_entry(data: bytes) -> tuple[tuple[bytes, ...], bytes] | None:
    """(heads, the one change entry) of a v2 sync message with exactly one entry."""
    count, pos = read_uleb(data, 1)
    end = pos + count * HASH
    heads = tuple(data[p : p + HASH] for p in range(pos, end, HASH))
    _, pos = _skip_hashes(data, end)  # need
    haves, pos = read_uleb(data, pos)
    for _ in range(haves):
        _, pos = _skip_hashes(data, pos)
        length, pos = read_uleb(data, pos)
        pos += length
    changes, pos = read_uleb(data, pos)
    if changes != 1:
        return None
    length, pos = read_uleb(data, pos)
    entry = data[pos : pos + length]
    pos += length
    if len(entry) != length:
        return None
    if pos < len(data):  # the trailer (capabilities) must fill the rest exactly
        length, pos = read_uleb(data, pos)
        if pos + length != len(data):
            return None
    elif pos > len(data):
        return None
    return heads, entry


def read_first_push(data: bytes) -> FirstPush | None:
    """The pushed document if ``data`` is a v2 sync message carrying exactly one whole
    document chunk whose header holds the heads the message advertises; else None.

    The chunk's checksum is verified. None means "not a first push": the caller takes
    the ordinary path, which checks the message fully.
    """
    if len(data) < 2 or data[0] != SYNC_V2:
        return None
    try:
        found = _only_entry(data)
        if found is None:
            return None
        heads, entry = found
        chunk_heads = snapshot_heads(entry)  # None if more than one chunk
    except CorruptData:
        return None
    if not heads or chunk_heads is None or sorted(chunk_heads) != sorted(heads):
        return None
    return FirstPush(entry, tuple(sorted(heads)))


def ack_message(heads: tuple[bytes, ...]) -> bytes:
    """The sync message the binding sends after taking in a document at ``heads``:
    our heads, nothing needed, one "have" at those heads with an empty bloom filter."""
    ordered = tuple(sorted(heads))
    return encode_sync_message(ordered, ordered, b"", ())
