"""What a relay needs to forward changes to peers that are level with it, in O(changes).

The binding's sync engine answers "what does this peer lack?" by walking the change
history (``generate_sync_message`` and ``receive_sync_message`` cost O(history) once
several actors' changes interleave: 0.1 ms per call after a minute of a busy
document). A relay mostly forwards each change it receives to peers that had
everything before it. For those, the answer is known without the history: the changes
applied since the peer last acknowledged our heads, kept here in the order applied.

:class:`ChangeLog` keeps those recent change chunks with their hashes and the heads
after each step; :func:`bloom_filter` and :func:`encode_sync_message` build the
message the binding would send (the same bytes, checked by the tests against the
binding). Everything else (a peer that needs something, concurrent changes, a whole
document) stays with the binding.
"""

from __future__ import annotations

from collections.abc import Sequence

from goalsync.amcore import SYNC_V2, CorruptData, encode_uleb, read_uleb

__all__ = ["ChangeLog", "bloom_filter", "change_deps", "encode_sync_message"]

Heads = tuple[bytes, ...]
HASH = 32
BITS_PER_ENTRY = 10  # Automerge's sync bloom filter parameters
PROBES = 7


def bloom_filter(hashes: Sequence[bytes]) -> bytes:
    """Automerge's encoded bloom filter over change ``hashes`` (empty for none)."""
    if not hashes:
        return b""
    size = (len(hashes) * BITS_PER_ENTRY + 7) // 8
    bits = bytearray(size)
    modulo = 8 * size
    for digest in hashes:
        x = int.from_bytes(digest[0:4], "little") % modulo
        y = int.from_bytes(digest[4:8], "little") % modulo
        z = int.from_bytes(digest[8:12], "little") % modulo
        bits[x >> 3] |= 1 << (x & 7)
        for _ in range(PROBES - 1):
            x = (x + y) % modulo
            y = (y + z) % modulo
            bits[x >> 3] |= 1 << (x & 7)
    return encode_uleb(len(hashes)) + encode_uleb(BITS_PER_ENTRY) + encode_uleb(PROBES) + bits


def _hash_list(hashes: Sequence[bytes]) -> bytes:
    return encode_uleb(len(hashes)) + b"".join(hashes)


def encode_sync_message(
    heads: Heads, last_sync: Heads, bloom: bytes, changes: Sequence[bytes]
) -> bytes:
    """A v2 sync message that needs nothing and has one ``have`` entry, as the binding
    writes it once capabilities have been exchanged: the changes packed back to back
    in one entry (a v2 peer reads several chunks from one entry)."""
    parts = [bytes([SYNC_V2]), _hash_list(heads), encode_uleb(0), encode_uleb(1)]
    parts += [_hash_list(last_sync), encode_uleb(len(bloom)), bloom]
    if changes:
        packed = b"".join(changes)
        parts += [encode_uleb(1), encode_uleb(len(packed)), packed]
    else:
        parts.append(encode_uleb(0))
    return b"".join(parts)


def change_deps(chunk: bytes) -> tuple[bytes, ...]:
    """The dependencies named in the header of an (uncompressed) change chunk."""
    _, pos = read_uleb(chunk, 9)  # magic, checksum, chunk type, then the body length
    count, pos = read_uleb(chunk, pos)
    end = pos + count * HASH
    if end > len(chunk):
        raise CorruptData("change chunk truncated in its dependencies")
    return tuple(chunk[p : p + HASH] for p in range(pos, end, HASH))


def _key(heads: Heads) -> Heads:
    return tuple(sorted(heads))


class ChangeLog:
    """The change chunks applied to a document since some point, in order, with the
    heads after each step. Positions count changes from that point and never repeat."""

    def __init__(self, heads: Heads) -> None:
        self.base = 0
        self.chunks: list[bytes] = []
        self.hashes: list[bytes] = []
        self.heads = heads
        self._position: dict[Heads, int] = {_key(heads): 0}
        self._heads_at: dict[int, Heads] = {0: heads}

    @property
    def end(self) -> int:
        """The position after the last change."""
        return self.base + len(self.chunks)

    def extend(self, chunks: Sequence[bytes], hashes: Sequence[bytes], heads: Heads) -> None:
        """Record ``chunks`` (with their ``hashes``) as applied, leaving ``heads``."""
        self.chunks.extend(chunks)
        self.hashes.extend(hashes)
        self.heads = heads
        self._position[_key(heads)] = self.end
        self._heads_at[self.end] = heads

    def position(self, heads: Heads) -> int | None:
        """Where the document had exactly ``heads`` (None: not since this log began)."""
        return self._position.get(_key(heads))

    def heads_at(self, position: int) -> Heads:
        """The heads at a recorded ``position``."""
        return self._heads_at[position]

    def chunks_since(self, position: int) -> list[bytes]:
        return self.chunks[position - self.base :]

    def hashes_since(self, position: int) -> list[bytes]:
        return self.hashes[position - self.base :]

    def forget_before(self, position: int) -> None:
        """Drop what no peer can still need: the changes before ``position``."""
        drop = position - self.base
        if drop <= 0:
            return
        del self.chunks[:drop], self.hashes[:drop]
        self.base = position
        for old in [p for p in self._heads_at if p < position]:
            self._position.pop(_key(self._heads_at.pop(old)), None)

    def accounts_for(
        self, before: Heads, after: Heads, chunks: Sequence[bytes], hashes: Sequence[bytes]
    ) -> bool:
        """True if applying ``chunks`` to a document at ``before`` is exactly what took
        it to ``after``: each of them was applied (none was already there, none waits
        for a missing dependency) and nothing else was."""
        if before != self.heads:
            return False
        expected = set(before) | set(hashes)
        for chunk in chunks:
            expected.difference_update(change_deps(chunk))
        return expected == set(after)
