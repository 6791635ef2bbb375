"""The relay journal's files: their names, their record format, and their zeros.

A journal file is ``journal-NNNNNNNN.log``: records back to back, each a header (magic
``GJ``, payload length, CRC32 of the payload) and a payload (the document id's length
and ASCII bytes, then the change chunks as received), then zeros up to the end of the
file (written ahead of need: see :data:`SEGMENT`). What follows the last whole record
is either zeros only, the file's clean end, or the trace of a crash or damage.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "PREFIX",
    "SEGMENT",
    "SUFFIX",
    "aside",
    "encode_record",
    "read_records",
    "write_at",
    "write_zeros",
]

HEADER = struct.Struct(">2sII")  # magic, payload length, crc32 of the payload
MAGIC = b"GJ"
PREFIX = "journal-"
SUFFIX = ".log"

# Journal files grow by this many durable zeros at a time, so that rounds overwrite them
# without changing the file's size. A new file costs one such write (every 10 s); 1 MiB
# holds a few thousand rounds of edits, and half of it left is time enough to make the
# next one in a thread before the rounds reach it.
SEGMENT = 1024 * 1024
_ZEROS = bytes(SEGMENT)


def encode_record(doc_id: str, data: bytes) -> bytes:
    """One record: the change chunks ``data`` of the document ``doc_id``."""
    payload = bytes([len(doc_id)]) + doc_id.encode("ascii") + data
    return HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def read_records(blob: bytes) -> Iterator[tuple[str, bytes] | None]:
    """The (document id, changes) records of a journal file; a final None if what
    follows them is not zeros only (the file's clean end) nor a whole, intact record
    (a record cut short by a crash, even one followed by zeros, or damage)."""
    pos = 0
    while pos < len(blob):
        payload = _payload_at(blob, pos)
        if payload is None:
            if blob.count(0, pos) != len(blob) - pos:  # else zeros only: the clean end
                yield None
            return
        size = payload[0]
        yield payload[1 : 1 + size].decode("ascii"), payload[1 + size :]
        pos += HEADER.size + len(payload)


def _payload_at(blob: bytes, pos: int) -> bytes | None:
    """The payload of the whole, intact record at ``pos``; None if there is none."""
    if pos + HEADER.size > len(blob):
        return None
    magic, length, crc = HEADER.unpack_from(blob, pos)
    payload = blob[pos + HEADER.size : pos + HEADER.size + length]
    if magic != MAGIC or not payload or len(payload) != length or zlib.crc32(payload) != crc:
        return None
    return payload


def write_at(fd: int, data: bytes, offset: int) -> None:
    """Write all of ``data`` at ``offset`` (not made durable here)."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def write_zeros(fd: int, start: int) -> int:
    """Write a segment of zeros at ``start`` and make it durable; returns its end."""
    write_at(fd, _ZEROS, start)
    os.fdatasync(fd)
    return start + SEGMENT


def aside(path: Path) -> Path:
    """Where a damaged journal file is kept: ``NAME.bad``, or ``NAME.bad.2`` and so on if
    an earlier one is there (numbering starts again after a clean stop), never over it."""
    kept = path.with_name(path.name + ".bad")
    number = 1
    while kept.exists():
        number += 1
        kept = path.with_name(f"{path.name}.bad.{number}")
    return kept
