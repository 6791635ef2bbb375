"""Storage keys and the checks that keep them safe as path components.

A key is a tuple of strings, as in automerge-repo. On disk every part becomes a
directory or file name, so every part must be one harmless path component:
no separators, no ``.``/``..``, no leading dot (temporary files start with one).
"""

from __future__ import annotations

import re

__all__ = ["StorageKey", "check_doc_id", "check_key", "check_prefix", "is_key_part"]

StorageKey = tuple[str, ...]

_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}")
_DOC_ID = re.compile(r"[A-Za-z0-9_-]{3,255}")


def is_key_part(name: str) -> bool:
    """True if ``name`` may be one part of a key (one safe path component)."""
    return bool(_PART.fullmatch(name))


def check_doc_id(doc_id: str) -> str:
    """Return ``doc_id`` if it is a safe document id, else raise ValueError."""
    if not isinstance(doc_id, str) or not _DOC_ID.fullmatch(doc_id):
        raise ValueError(
            f"invalid document id {doc_id!r}: use 3 to 255 characters from "
            "A-Z, a-z, 0-9, '_' and '-' (an automerge-repo id is base58)"
        )
    return doc_id


def check_prefix(prefix: StorageKey) -> StorageKey:
    """Validate a key prefix (may be empty); returns it as a tuple."""
    if not isinstance(prefix, tuple):
        raise ValueError(f"a storage key must be a tuple of strings, got {type(prefix).__name__}")
    for part in prefix:
        if not isinstance(part, str) or not _PART.fullmatch(part):
            raise ValueError(
                f"invalid storage key part {part!r} in {prefix!r}: use 1 to 255 characters "
                "from A-Z, a-z, 0-9, '.', '_' and '-', not starting with '.'"
            )
    if prefix and len(prefix[0]) < 3:
        raise ValueError(
            f"invalid storage key {prefix!r}: its first part needs at least 3 characters "
            "(it is split into a 2-character directory and the rest)"
        )
    return prefix


def check_key(key: StorageKey) -> StorageKey:
    """Validate a full key (at least one part)."""
    check_prefix(key)
    if not key:
        raise ValueError("a storage key needs at least one part")
    return key
