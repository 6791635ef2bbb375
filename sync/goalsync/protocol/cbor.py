"""A strict decoder for the small CBOR subset automerge-repo messages use.

General CBOR decoders turn tags into datetimes, big integers, sets, shared
references and more; that is attack surface a relay does not need. This decoder
accepts only integers, floats, byte and text strings, arrays, maps with text keys,
booleans, null and undefined, with definite lengths and a bounded nesting depth.
Length headers may be non-minimal (JS cbor-x writes ``b9 00 04`` for small maps).
Every problem raises :class:`ProtocolError`.
"""

from __future__ import annotations

import struct
from typing import Any

import cbor2

__all__ = ["UNDEFINED", "ProtocolError", "loads_strict"]

UNDEFINED = cbor2.undefined


class ProtocolError(ValueError):
    """A frame or message that breaks the wire protocol; the message says what."""


class _Reader:
    __slots__ = ("data", "max_depth", "pos")

    def __init__(self, data: bytes, max_depth: int) -> None:
        self.data = data
        self.pos = 0
        self.max_depth = max_depth

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise ProtocolError("truncated CBOR: the frame ends in the middle of an item")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def argument(self, info: int) -> int:
        if info < 24:
            return info
        if info == 24:
            return self.take(1)[0]
        if info == 25:
            return int.from_bytes(self.take(2), "big")
        if info == 26:
            return int.from_bytes(self.take(4), "big")
        if info == 27:
            return int.from_bytes(self.take(8), "big")
        if info == 31:
            raise ProtocolError("indefinite-length CBOR items are not accepted")
        raise ProtocolError(f"reserved CBOR additional information {info}")

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def item(self, depth: int) -> Any:
        initial = self.take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            return self.simple(info)
        arg = self.argument(info)
        if major == 0:
            return arg
        if major == 1:
            return -1 - arg
        if major == 2:
            return self.take(arg)
        if major == 3:
            try:
                return self.take(arg).decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError("a CBOR text string is not valid UTF-8") from None
        if major == 6:
            raise ProtocolError(f"CBOR tags are not accepted (found tag {arg})")
        if depth >= self.max_depth:
            raise ProtocolError(f"CBOR nested deeper than {self.max_depth} levels")
        # Every element takes at least one byte: reject impossible counts up front.
        if arg > self.remaining():
            raise ProtocolError("truncated CBOR: a container claims more items than remain")
        if major == 4:
            return [self.item(depth + 1) for _ in range(arg)]
        return self.map(arg, depth)

    def map(self, count: int, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for _ in range(count):
            key = self.item(depth + 1)
            if not isinstance(key, str):
                raise ProtocolError(f"CBOR map keys must be text, found {type(key).__name__}")
            if key in result:
                raise ProtocolError(f"duplicate CBOR map key {key!r}")
            result[key] = self.item(depth + 1)
        return result

    def simple(self, info: int) -> Any:
        if info == 20:
            return False
        if info == 21:
            return True
        if info == 22:
            return None
        if info == 23:
            return UNDEFINED
        if info == 25:
            return struct.unpack(">e", self.take(2))[0]
        if info == 26:
            return struct.unpack(">f", self.take(4))[0]
        if info == 27:
            return struct.unpack(">d", self.take(8))[0]
        if info == 31:
            raise ProtocolError("unexpected CBOR 'break' outside an indefinite-length item")
        raise ProtocolError(f"CBOR simple value {info} is not accepted")


def loads_strict(data: bytes, *, max_depth: int = 8) -> Any:
    """Decode exactly one CBOR item filling all of ``data``."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ProtocolError(f"a frame must be bytes, not {type(data).__name__}")
    reader = _Reader(bytes(data), max_depth)
    if not reader.data:
        raise ProtocolError("empty frame")
    value = reader.item(0)
    if reader.remaining():
        raise ProtocolError(f"{reader.remaining()} trailing bytes after the CBOR item")
    return value
