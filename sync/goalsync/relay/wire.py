"""The relay's hot path on the wire: ``sync`` and ``request`` frames, read and written fast.

Nearly every frame a busy relay sees is a ``sync`` message: a CBOR map of five text
or byte strings. :func:`decode_frame` reads exactly that shape with a few slices and
gives the same message :func:`goalsync.protocol.messages.decode` would; anything else
(another type, another value type, a missing, duplicate or unknown key, a field out of
bounds) goes to that strict decoder, which accepts or rejects it with its own
message. So the fast path accepts a subset of what the strict decoder accepts, and
never more. Document ids that were valid once are remembered (the checksum costs two
SHA-256 and a base58 decode per frame otherwise).
"""

from __future__ import annotations

from goalsync.protocol.docid import InvalidDocumentId, validate_document_id
from goalsync.protocol.messages import MAX_ID_LENGTH, Message, Request, Sync, decode

__all__ = ["decode_frame", "encode_sync"]

_KEYS = frozenset(("type", "senderId", "targetId", "documentId", "data"))
_KINDS: dict[object, type[Sync] | type[Request]] = {"sync": Sync, "request": Request}
_MAX_IDS = 100_000  # remembered valid document ids; forgotten all at once beyond this
_valid_ids: set[str] = set()


_KEY_NAMES = {key.encode("ascii"): key for key in _KEYS}  # a key's bytes on the wire


def _fields(frame: bytes) -> dict[str, str | bytes] | None:
    """The map of text keys to text or byte strings that ``frame`` holds, or None.

    Written out inline (no helper calls): it runs for nearly every frame. Keys must be
    short texts (all known ones are), lengths definite and at most 32 bits."""
    end = len(frame)
    if not end:
        return None
    first = frame[0]
    if first == 0xA5:  # a map of five, as Python writes it
        count, pos = 5, 1
    elif first == 0xB9 and end > 3:  # as JS cbor-x writes it: b9 00 05
        count, pos = frame[1] << 8 | frame[2], 3
    elif 0xA0 < first < 0xB8:
        count, pos = first & 0x1F, 1
    else:
        return None
    if not 0 < count <= len(_KEYS):
        return None
    fields: dict[str, str | bytes] = {}
    try:
        for _ in range(count):
            size = frame[pos] - 0x60  # a text of under 24 bytes
            if not 0 <= size < 24:
                return None
            pos += 1
            key = _KEY_NAMES.get(frame[pos : pos + size])
            pos += size
            if key is None or key in fields:
                return None
            head = frame[pos]
            info = head & 0x1F
            if info < 24:
                size, pos = info, pos + 1
            elif info == 24:
                size, pos = frame[pos + 1], pos + 2
            elif info == 25:
                size, pos = frame[pos + 1] << 8 | frame[pos + 2], pos + 3
            elif info == 26:
                size, pos = int.from_bytes(frame[pos + 1 : pos + 5], "big"), pos + 5
            else:
                return None
            stop = pos + size
            if stop > end:
                return None
            major = head >> 5
            if major == 3:
                fields[key] = frame[pos:stop].decode("utf-8")
            elif major == 2:
                fields[key] = frame[pos:stop]
            else:
                return None
            pos = stop
    except (IndexError, UnicodeDecodeError):
        return None
    return fields if pos == end else None


def _peer_id(value: str | bytes | None) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH:
        return value
    return None


def _document_id(value: str | bytes | None) -> str | None:
    if not isinstance(value, str):
        return None
    if value in _valid_ids:
        return value
    try:
        validate_document_id(value)
    except InvalidDocumentId:
        return None  # the strict decoder says why
    if len(_valid_ids) >= _MAX_IDS:
        _valid_ids.clear()
    _valid_ids.add(value)
    return value


def decode_frame(frame: bytes, max_size: int) -> Message:
    """Decode and validate one frame; raises ``ProtocolError`` exactly as ``decode`` does."""
    fields = _fields(frame) if len(frame) <= max_size else None
    if fields is not None:
        kind = _KINDS.get(fields.get("type"))
        sender, target = _peer_id(fields.get("senderId")), _peer_id(fields.get("targetId"))
        doc_id = _document_id(fields.get("documentId"))
        data = fields.get("data")
        if (
            kind is not None
            and sender is not None
            and target is not None
            and doc_id is not None
            and isinstance(data, bytes)
            and 0 < len(data) <= max_size
        ):
            return kind(sender, target, doc_id, data)
    return decode(frame, max_size=max_size)


def _text(value: str) -> bytes:
    raw = value.encode("utf-8")
    return _head(3, len(raw)) + raw


def _head(major: int, size: int) -> bytes:
    if size < 24:
        return bytes([major << 5 | size])
    if size < 0x100:
        return bytes([major << 5 | 24, size])
    if size < 0x10000:
        return bytes([major << 5 | 25]) + size.to_bytes(2, "big")
    if size < 0x100000000:
        return bytes([major << 5 | 26]) + size.to_bytes(4, "big")
    return bytes([major << 5 | 27]) + size.to_bytes(8, "big")


_SYNC_PREFIX = b"\xa5" + _text("type") + _text("sync")
_SENDER, _TARGET, _DOC, _DATA = (_text(k) for k in ("senderId", "targetId", "documentId", "data"))


def encode_sync(sender_id: str, target_id: str, doc_id: str, data: bytes) -> bytes:
    """The CBOR frame of a ``sync`` message (what ``encode(Sync(...))`` gives, built directly)."""
    return b"".join(
        (
            _SYNC_PREFIX,
            _SENDER,
            _text(sender_id),
            _TARGET,
            _text(target_id),
            _DOC,
            _text(doc_id),
            _DATA,
            _head(2, len(data)),
            data,
        )
    )
