"""Constants shared by the mirror's writer and its reader; no imports, so reading stays fast."""

from __future__ import annotations

__all__ = ["MIRROR_SCHEMA_VERSION", "STRATEGY", "table_name"]

MIRROR_SCHEMA_VERSION = 1
"""Stamped in ``PRAGMA user_version``; bump it when the mirror's layout changes."""

STRATEGY = "strategy"
"""The collection name (and the single record id) the workspace uses for vision and mission."""


def table_name(collection: str) -> str:
    """The SQL table of a collection: its own name, except ``values`` → ``strategy_values``."""
    return "strategy_values" if collection == "values" else collection
