"""Reading Automerge change chunks in Python, without the binding.

The binding can list a document's new changes cheaply (``get_changes``) but says
nothing about what they did except through ``diff``, which costs O(document).
This module reads a change chunk as the public binary format describes it
(automerge.org, "binary format"): the header (dependencies, actor, sequence
number, first op counter, time, message, other actors) and, of the operation
columns, the object and map key of every operation. That is enough for a caller
to learn which objects a merge wrote to in O(changes).

Strict: a checksum, length, layout or encoding that does not match raises
:class:`~goalsync.amcore.CorruptData`; nothing is guessed.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass

from goalsync.amcore import MAGIC, CorruptData, encode_uleb, read_uleb

__all__ = ["ChangeInfo", "ObjRef", "parse_change", "parse_object_id"]

CHUNK_CHANGE = 1
CHUNK_DEFLATED_CHANGE = 2
HASH_SIZE = 32
MAX_OPS = 1 << 22  # rows per column: far above any real change, low enough to bound memory

# Column specifications (id << 4 | type); bit 3 marks a deflated column.
DEFLATE_BIT = 0x08
COL_OBJ_ACTOR = 0x01
COL_OBJ_CTR = 0x02
COL_KEY_STR = 0x15
COL_ACTION = 0x42

ObjRef = tuple[bytes, int]
"""An object id as (actor id, op counter); the root object is ``None``."""


@dataclass(frozen=True)
class ChangeInfo:
    """One change: its identity, place in history, and the target of each operation."""

    hash: bytes
    deps: tuple[bytes, ...]
    actor: bytes
    seq: int
    start_op: int
    time: int
    message: str | None
    other_actors: tuple[bytes, ...]
    objects: tuple[ObjRef | None, ...]  # per operation: the object written (None: root)
    keys: tuple[str | None, ...]  # per operation: the map key (None: a list/text position)

    def created(self, obj: ObjRef) -> bool:
        """True if ``obj`` was made by an operation of this change."""
        actor, counter = obj
        return actor == self.actor and self.start_op <= counter < self.start_op + len(self.keys)


class _Reader:
    """A cursor over bytes that raises CorruptData when the bytes run out."""

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def done(self) -> bool:
        return self.pos >= self.end

    def uleb(self) -> int:
        pos = self.pos
        if pos < self.end and self.data[pos] < 0x80:  # one byte: most values in a change
            self.pos = pos + 1
            return self.data[pos]
        value, self.pos = read_uleb(self.data, pos)
        if self.pos > self.end:
            raise CorruptData("truncated LEB128 integer")
        return value

    def sleb(self) -> int:
        result = shift = 0
        while True:
            if self.pos >= self.end:
                raise CorruptData("truncated signed LEB128 integer")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                if byte & 0x40:
                    result -= 1 << shift
                return result
            if shift > 63:
                raise CorruptData("signed LEB128 integer too long")

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > self.end:
            raise CorruptData("truncated change chunk")
        out = self.data[self.pos : self.pos + count]
        self.pos += count
        return out

    def text(self) -> str:
        try:
            return self.take(self.uleb()).decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptData("a string in the change is not UTF-8") from None


def _chunk_body(chunk: bytes) -> tuple[bytes, bytes]:
    """(hash, uncompressed change body) of one whole chunk, checksum verified."""
    if not chunk.startswith(MAGIC):
        raise CorruptData("not an Automerge chunk (bad magic bytes)")
    reader = _Reader(chunk, 8)
    kind = reader.take(1)[0]
    length = reader.uleb()
    body = reader.take(length)
    if not reader.done():
        raise CorruptData("bytes after the end of the change chunk")
    if kind == CHUNK_DEFLATED_CHANGE:
        try:
            body = zlib.decompress(body, -15)
        except zlib.error as exc:
            raise CorruptData(f"deflated change does not inflate: {exc}") from None
    elif kind != CHUNK_CHANGE:
        raise CorruptData(f"chunk type {kind} is not a change")
    digest = hashlib.sha256(bytes([CHUNK_CHANGE]) + encode_uleb(len(body)) + body).digest()
    if kind == CHUNK_CHANGE and digest[:4] != chunk[4:8]:
        raise CorruptData("change chunk checksum does not match its contents")
    return digest, body


def parse_change(chunk: bytes) -> ChangeInfo:
    """Read one change chunk (``Change.bytes`` or ``raw_bytes``, plain or deflated)."""
    digest, body = _chunk_body(bytes(chunk))
    reader = _Reader(body)
    deps = tuple(reader.take(HASH_SIZE) for _ in range(_count(reader.uleb(), HASH_SIZE, reader)))
    actor = reader.take(reader.uleb())
    seq = reader.uleb()
    start_op = reader.uleb()
    time = reader.sleb()
    message = reader.text() or None
    others = tuple(reader.take(reader.uleb()) for _ in range(_count(reader.uleb(), 1, reader)))
    columns = _columns(reader)
    rows = len(_uints(columns.get(COL_ACTION, b"")))
    objects = _objects(columns, (actor, *others)) or (None,) * rows  # empty: all root
    keys = _strings(columns.get(COL_KEY_STR, b"")) or (None,) * rows  # empty: no map keys
    if not len(objects) == len(keys) == rows:
        raise CorruptData("operation columns of the change differ in length")
    return ChangeInfo(digest, deps, actor, seq, start_op, time, message, others, objects, keys)


def _count(count: int, unit: int, reader: _Reader) -> int:
    """A declared element count, refused if the remaining bytes cannot hold it."""
    if count * unit > reader.end - reader.pos:
        raise CorruptData("a count in the change header exceeds its length")
    return count


def _columns(reader: _Reader) -> dict[int, bytes]:
    """Column spec (deflate bit cleared) → its inflated bytes."""
    specs = [(reader.uleb(), reader.uleb()) for _ in range(_count(reader.uleb(), 2, reader))]
    out: dict[int, bytes] = {}
    previous = -1
    for spec, length in specs:
        plain = spec & ~DEFLATE_BIT
        if plain <= previous:
            raise CorruptData("change columns are not in ascending order")
        previous = plain
        data = reader.take(length)
        if spec & DEFLATE_BIT:
            try:
                data = zlib.decompress(data, -15)
            except zlib.error as exc:
                raise CorruptData(f"deflated column does not inflate: {exc}") from None
        out[plain] = data
    return out


def _objects(columns: dict[int, bytes], actors: tuple[bytes, ...]) -> tuple[ObjRef | None, ...]:
    actor_idx = _uints(columns.get(COL_OBJ_ACTOR, b""))
    counters = _uints(columns.get(COL_OBJ_CTR, b""))
    if len(actor_idx) != len(counters):
        raise CorruptData("object columns of the change differ in length")
    out: list[ObjRef | None] = []
    for index, counter in zip(actor_idx, counters, strict=True):
        if index is None or counter is None:
            if index is not None or counter is not None:
                raise CorruptData("an operation's object has an actor or a counter, not both")
            out.append(None)
        elif index >= len(actors):
            raise CorruptData(f"operation refers to actor {index} of {len(actors)}")
        else:
            out.append((actors[index], counter))
    return tuple(out)


def _rle(data: bytes, read_value: str) -> list[object]:
    """A run-length encoded column: runs of one value, literal runs, and null runs."""
    reader = _Reader(data)
    read = getattr(reader, read_value)
    out: list[object] = []
    while not reader.done():
        count = reader.sleb()
        if count > 0:
            value = read()
            _grow(out, count)
            out.extend([value] * count)
        elif count < 0:
            _grow(out, -count)
            out.extend([read() for _ in range(-count)])
        else:
            nulls = reader.uleb()
            _grow(out, nulls)
            out.extend([None] * nulls)
    return out


def _grow(out: list[object], count: int) -> None:
    if len(out) + count > MAX_OPS:
        raise CorruptData("a change column holds more operations than allowed")


def _uints(data: bytes) -> list[int | None]:
    return _rle(data, "uleb")  # type: ignore[return-value]


def _strings(data: bytes) -> tuple[str | None, ...]:
    return tuple(_rle(data, "text"))  # type: ignore[arg-type]


def parse_object_id(obj: bytes) -> ObjRef | None:
    """The binding's object id bytes as (actor, counter); None for the root.

    The binding encodes an id as a tag byte, the actor (length-prefixed), the
    actor's index in that document (local, ignored here) and the counter.
    """
    if obj == b"\x00":
        return None
    reader = _Reader(obj)
    if obj[:1] != b"\x10":
        raise CorruptData("unknown object id encoding")
    reader.pos = 1
    actor = reader.take(reader.uleb())
    reader.uleb()  # actor index
    counter = reader.uleb()
    if not reader.done():
        raise CorruptData("bytes after the end of an object id")
    return actor, counter
