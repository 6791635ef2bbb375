"""Record ids: random, sortable by creation time, never reused."""

from __future__ import annotations

from ulid import ULID

__all__ = ["new_id"]


def new_id() -> str:
    """A new ULID string (26 characters, Crockford base32, time-ordered)."""
    return str(ULID())
