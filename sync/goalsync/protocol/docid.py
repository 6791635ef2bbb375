"""Automerge-repo document ids and ``automerge:`` URLs (PROTOCOL.md §1.2).

A document id is base58check: the payload (16 bytes of a UUIDv4 for ids we make,
but any payload that checksums is accepted, as repo 2.x allows custom factories)
followed by the first four bytes of ``sha256(sha256(payload))``, in the Bitcoin
base58 alphabet. URLs may carry ``#<head>|<head>`` where each head is a 32-byte
change hash, also base58check.
"""

from __future__ import annotations

import hashlib
import os
import re

__all__ = [
    "URL_PREFIX",
    "InvalidDocumentId",
    "b58check_decode",
    "b58check_encode",
    "from_uuid",
    "new_document_id",
    "parse_url",
    "to_url",
    "validate_document_id",
]

URL_PREFIX = "automerge:"
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
# Bounds the work spent on hostile input; real ids are 27-28 characters and
# heads about 50.
MAX_ENCODED_LENGTH = 100
HEAD_LENGTH = 32


class InvalidDocumentId(ValueError):
    """A string that is not a valid document id, head or ``automerge:`` URL."""


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]


def _b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out: list[str] = []
    while n:
        n, rem = divmod(n, 58)
        out.append(ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def _b58decode(text: str) -> bytes:
    n = 0
    for ch in text:
        digit = _INDEX.get(ch)
        if digit is None:
            raise InvalidDocumentId(f"{ch!r} is not a base58 character")
        n = n * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def b58check_encode(payload: bytes) -> str:
    """Base58check-encode ``payload`` (payload + 4-byte double-sha256 checksum)."""
    return _b58encode(payload + _checksum(payload))


def b58check_decode(text: str, *, what: str = "document id") -> bytes:
    """Decode a base58check string and verify its checksum; returns the payload."""
    if not isinstance(text, str):
        raise InvalidDocumentId(f"a {what} must be a string, not {type(text).__name__}")
    if not text:
        raise InvalidDocumentId(f"the {what} is empty")
    if len(text) > MAX_ENCODED_LENGTH:
        raise InvalidDocumentId(
            f"the {what} is {len(text)} characters long; at most {MAX_ENCODED_LENGTH} allowed"
        )
    try:
        raw = _b58decode(text)
    except InvalidDocumentId as exc:
        raise InvalidDocumentId(f"invalid {what} {text!r}: {exc}") from None
    if len(raw) < 5:
        raise InvalidDocumentId(f"invalid {what} {text!r}: too short to hold a checksum")
    payload, check = raw[:-4], raw[-4:]
    if _checksum(payload) != check:
        raise InvalidDocumentId(
            f"invalid {what} {text!r}: checksum mismatch (mistyped or truncated? "
            "copy the id again from its source)"
        )
    return payload


_UUID = re.compile(
    r"(?:urn:uuid:)?\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?"
)


def new_document_id() -> str:
    """A fresh random document id, in the same form JS automerge-repo makes."""
    payload = bytearray(os.urandom(16))  # a UUIDv4, without importing uuid (start-up time)
    payload[6] = (payload[6] & 0x0F) | 0x40
    payload[8] = (payload[8] & 0x3F) | 0x80
    return b58check_encode(bytes(payload))


def validate_document_id(doc_id: str) -> bytes:
    """Check a document id's checksum; returns its binary payload.

    Only the checksum is checked, not the payload length, so ids from any
    repo id factory are accepted.
    """
    return b58check_decode(doc_id, what="document id")


def from_uuid(text: str) -> str:
    """Convert a legacy UUID document id (``xxxxxxxx-xxxx-…``) to its base58check form."""
    if not isinstance(text, str) or not _UUID.fullmatch(text.strip()):
        raise InvalidDocumentId(f"{text!r} is not a UUID")
    return b58check_encode(
        bytes.fromhex(re.sub(r"[^0-9a-fA-F]", "", text.strip().removeprefix("urn:uuid:")))
    )


def to_url(doc_id: str, heads: list[bytes] | tuple[bytes, ...] | None = None) -> str:
    """``automerge:<id>``, with ``#head|head`` when ``heads`` is given (repo 2.x form)."""
    validate_document_id(doc_id)
    url = URL_PREFIX + doc_id
    if heads:
        for head in heads:
            if len(head) != HEAD_LENGTH:
                raise InvalidDocumentId(f"a head is {HEAD_LENGTH} bytes, got {len(head)}")
        url += "#" + "|".join(b58check_encode(h) for h in heads)
    return url


def parse_url(url: str) -> tuple[str, tuple[bytes, ...] | None]:
    """Split an ``automerge:`` URL into (document id, heads or None).

    Raises :class:`InvalidDocumentId` naming what was wrong.
    """
    if not isinstance(url, str) or not url.startswith(URL_PREFIX):
        raise InvalidDocumentId(
            f"{url!r} is not an automerge URL; expected 'automerge:<document id>'"
        )
    rest = url[len(URL_PREFIX) :]
    doc_id, sep, fragment = rest.partition("#")
    validate_document_id(doc_id)
    if not sep:
        return doc_id, None
    if not fragment:
        raise InvalidDocumentId(f"{url!r} has an empty heads part after '#'")
    heads = tuple(b58check_decode(h, what="head") for h in fragment.split("|"))
    for head in heads:
        if len(head) != HEAD_LENGTH:
            raise InvalidDocumentId(
                f"{url!r}: a head must be a {HEAD_LENGTH}-byte hash, got {len(head)} bytes"
            )
    return doc_id, heads
