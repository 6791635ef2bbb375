"""Constants shared by the mirror's writer and its reader; stdlib only, so reading stays fast."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "DDL_FINGERPRINT",
    "MIRROR_SCHEMA_VERSION",
    "STRATEGY",
    "format_heads",
    "parse_heads",
    "table_name",
]

MIRROR_SCHEMA_VERSION = 1
"""Stamped in ``PRAGMA user_version``; bump it when the mirror's layout changes."""

DDL_FINGERPRINT = "1:d28bd5f784fb6838"
"""``tables.ddl_fingerprint()`` of this code (a test keeps it equal), stored in ``mirror_meta``.

Readers compare it without importing the model: a mirror written by code with other
tables or views is treated as stale, and the next writer rebuilds it.
"""

STRATEGY = "strategy"
"""The collection name (and the single record id) the workspace uses for vision and mission."""


def table_name(collection: str) -> str:
    """The SQL table of a collection: its own name, except ``values`` → ``strategy_values``."""
    return "strategy_values" if collection == "values" else collection


def format_heads(heads: Sequence[bytes]) -> str:
    """Document heads as stored in ``mirror_meta``: hex, space-separated, sorted."""
    return " ".join(sorted(bytes(h).hex() for h in heads))


def parse_heads(text: object) -> list[bytes] | None:
    """The heads stored by :func:`format_heads`; None if the value is not such a list."""
    if not isinstance(text, str):
        return None
    try:
        return [bytes.fromhex(h) for h in text.split()]
    except ValueError:
        return None
