"""Reading Automerge chunk headers without loading a document.

Storage must know, cheaply and before touching the user's document, whether a chunk
is intact (a truncated or garbled chunk can be silently skipped by the binding) and
which changes it holds (to tell whether they are already in a document). Every chunk
is ``magic(4) checksum(4) type(1) uleb(len) body``; the checksum is the first four
bytes of the SHA-256 over type, length and (uncompressed) body, which for a change is
also its hash. A change body starts with its dependencies.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from goalsync.amcore import MAGIC, CorruptData, encode_uleb, read_uleb

__all__ = ["ChangeInfo", "heads_name", "parse_changes", "snapshot_heads", "top_hashes"]

DOCUMENT = 0
CHANGE = 1
COMPRESSED_CHANGE = 2
MAX_INFLATED = 1 << 30  # refuse to inflate one change beyond 1 GiB


@dataclass(frozen=True)
class ChangeInfo:
    """One change in a chunk: its hash, the hashes it depends on, its own bytes."""

    hash: bytes
    deps: tuple[bytes, ...]
    chunk: bytes


def _header(data: bytes, pos: int) -> tuple[int, bytes, int, int]:
    """(type, checksum, body start, body end) of the chunk at ``pos``."""
    if data[pos : pos + 4] != MAGIC:
        raise CorruptData(f"no chunk magic at byte {pos}")
    if pos + 9 > len(data):
        raise CorruptData(f"truncated chunk header at byte {pos}")
    length, start = read_uleb(data, pos + 9)
    end = start + length
    if end > len(data):
        raise CorruptData(f"truncated chunk at byte {pos}: {end - len(data)} bytes missing")
    return data[pos + 8], data[pos + 4 : pos + 8], start, end


def _read_hashes(body: bytes, pos: int) -> tuple[tuple[bytes, ...], int]:
    count, pos = read_uleb(body, pos)
    end = pos + 32 * count
    if end > len(body):
        raise CorruptData("truncated list of hashes")
    return tuple(body[p : p + 32] for p in range(pos, end, 32)), end


def _inflate(body: bytes) -> bytes:
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(body, MAX_INFLATED)
    except zlib.error as exc:
        raise CorruptData(f"compressed change does not inflate: {exc}") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise CorruptData("compressed change is truncated or too large")
    return out


def parse_changes(data: bytes) -> list[ChangeInfo]:
    """The changes in an incremental (concatenated change chunks), checksums verified.

    Raises :class:`CorruptData` for anything else, including a truncated last chunk.
    """
    if not data:
        raise CorruptData("empty chunk")
    out = []
    pos = 0
    while pos < len(data):
        kind, checksum, start, end = _header(data, pos)
        body = data[start:end]
        if kind == CHANGE:
            digest = hashlib.sha256(data[pos + 8 : end]).digest()
        elif kind == COMPRESSED_CHANGE:
            body = _inflate(body)
            digest = hashlib.sha256(bytes([CHANGE]) + encode_uleb(len(body)) + body).digest()
        else:
            raise CorruptData(f"chunk type {kind} at byte {pos} is not a change")
        if digest[:4] != checksum:
            raise CorruptData(f"bad checksum in the change at byte {pos}")
        deps, _ = _read_hashes(body, 0)
        out.append(ChangeInfo(digest, deps, data[pos:end]))
        pos = end
    return out


def snapshot_heads(data: bytes) -> list[bytes] | None:
    """The heads of a saved document, read from its header (checksum verified).

    Returns None when the bytes hold more than one document chunk, so the heads
    cannot be known without loading. Raises :class:`CorruptData` if damaged.
    """
    kind, checksum, start, end = _header(data, 0)
    if kind != DOCUMENT:
        raise CorruptData(f"chunk type {kind} is not a saved document")
    if hashlib.sha256(data[8:end]).digest()[:4] != checksum:
        raise CorruptData("bad checksum in the saved document")
    if end != len(data):
        return None
    body = data[start:end]
    actors, pos = read_uleb(body, 0)
    for _ in range(actors):
        size, pos = read_uleb(body, pos)
        pos += size
    heads, _ = _read_hashes(body, pos)
    return list(heads)


def top_hashes(changes: Iterable[ChangeInfo]) -> list[bytes]:
    """Hashes of the changes that no other change in ``changes`` depends on."""
    changes = list(changes)
    depended = {dep for change in changes for dep in change.deps}
    return [c.hash for c in changes if c.hash not in depended]


def heads_name(heads: Sequence[bytes]) -> str:
    """automerge-repo's snapshot name: SHA-256 hex of the sorted hex heads, concatenated."""
    return hashlib.sha256("".join(sorted(h.hex() for h in heads)).encode()).hexdigest()
