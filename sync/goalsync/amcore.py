"""Safe wrappers around the ``automerge.core`` binding.

The binding raises ``pyo3_runtime.PanicException`` (a ``BaseException``) when Rust
panics, and a panic inside a document leaves it unusable. Everything here that
decodes untrusted bytes turns such a panic into :class:`CorruptData`, and never
touches a document the caller holds unless the input decoded cleanly first.

It also fills two gaps of the binding: applying raw change chunks to a live
document (via a hand-built sync message, O(changes) instead of O(document)) and
reading the heads out of an encoded sync message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from automerge import core as am

__all__ = [
    "CorruptData",
    "apply_change_chunks",
    "changes_since",
    "encode_uleb",
    "is_panic",
    "load_document",
    "read_uleb",
    "sync_message_heads",
]

MAGIC = b"\x85\x6f\x4a\x83"
SYNC_V1 = 0x42
SYNC_V2 = 0x43


class CorruptData(ValueError):
    """Bytes that do not decode as Automerge data (document, change or sync message)."""


def is_panic(exc: BaseException) -> bool:
    """True for the binding's ``PanicException`` (a BaseException, not an Exception)."""
    return type(exc).__name__ == "PanicException"


def load_document(data: bytes, actor_id: bytes | None = None) -> am.Document:
    """Load a saved document (optionally followed by change chunks).

    Raises :class:`CorruptData` for bytes that are not a valid document, including
    when the binding panics.
    """
    if data and not data.startswith(MAGIC):
        raise CorruptData("not Automerge data (bad magic bytes)")
    try:
        doc = am.Document.load(data)
    except Exception as exc:
        raise CorruptData(str(exc)) from None
    except BaseException as exc:
        if is_panic(exc):
            raise CorruptData(f"the Automerge binding panicked: {exc}") from None
        raise
    if actor_id is not None:
        doc.set_actor(actor_id)
    return doc


_ONE_BYTE = [bytes([n]) for n in range(0x80)]  # most lengths and counts on the hot path


def encode_uleb(n: int) -> bytes:
    """Unsigned LEB128 encoding of ``n``."""
    if 0 <= n < 0x80:
        return _ONE_BYTE[n]
    if n < 0:
        raise ValueError("uLEB128 encodes non-negative integers only")
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_uleb(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode an unsigned LEB128 at ``pos``; returns (value, next position)."""
    if pos < len(data) and data[pos] < 0x80:  # one byte: most counts and lengths
        return data[pos], pos + 1
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise CorruptData("truncated LEB128 integer")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise CorruptData("LEB128 integer too long")


def changes_only_message(chunks: Sequence[bytes]) -> bytes:
    """A v1 sync message that carries ``chunks`` and claims nothing else: applied with
    a fresh ``SyncState``, it costs O(changes), where a message naming the sender's
    heads makes the binding do O(history) work (10× slower at 1,200 changes)."""
    out = bytearray([SYNC_V1])
    out += encode_uleb(0)  # heads
    out += encode_uleb(0)  # need
    out += encode_uleb(0)  # have
    out += encode_uleb(len(chunks))
    for chunk in chunks:
        out += encode_uleb(len(chunk))
        out += chunk
    return bytes(out)


def apply_change_chunks(doc: am.Document, chunks: Iterable[bytes]) -> int:
    """Apply raw change chunks (``Change.bytes``) to ``doc`` in O(changes).

    Chunks whose dependencies are missing are queued by Automerge and applied
    when those arrive. Returns the number of chunks handed over. Raises
    :class:`CorruptData` if a chunk does not decode; ``doc`` is then untouched,
    because decoding happens before anything is applied.
    """
    chunk_list = [bytes(c) for c in chunks]
    if not chunk_list:
        return 0
    try:
        message = am.Message.decode(changes_only_message(chunk_list))
    except Exception as exc:
        raise CorruptData(f"invalid change chunk: {exc}") from None
    except BaseException as exc:
        if is_panic(exc):
            raise CorruptData(f"the Automerge binding panicked: {exc}") from None
        raise
    doc.receive_sync_message(am.SyncState(), message)
    return len(chunk_list)


def changes_since(doc: am.Document, heads: Sequence[bytes]) -> list[bytes]:
    """The change chunks of ``doc`` not reachable from ``heads``."""
    return [change.bytes for change in doc.get_changes(list(heads))]


def sync_message_heads(data: bytes) -> list[bytes]:
    """The sender's heads, read out of an encoded sync message (PROTOCOL.md §1.5)."""
    if not data or data[0] not in (SYNC_V1, SYNC_V2):
        raise CorruptData("not an Automerge sync message")
    count, pos = read_uleb(data, 1)
    end = pos + 32 * count
    if end > len(data):
        raise CorruptData("truncated sync message heads")
    return [bytes(data[p : p + 32]) for p in range(pos, end, 32)]
