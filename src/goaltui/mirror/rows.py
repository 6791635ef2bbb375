"""Records as SQLite rows, and the prepared statements that write them, one set per table.

Each table's encoder knows its columns up front: most field values (str, int, float,
bool, None) go into SQLite as they are, so a row is one ``map(data.get, names)`` with the
JSON columns encoded by position; only a row holding anything else (a list in a
plain column, say) takes the general :func:`tables.encode_value` path. A rebuild
encodes every record of the workspace, so this is on its critical path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from goaltui.mirror.tables import JSON_TYPES, TABLES, Table, encode_value, quote
from goaltui.model.records import Record

__all__ = ["ROWS", "TableRows"]

_AS_IS = frozenset({str, int, float, bool, type(None)})
"""Types bound as they are: what ``encode_value`` stores (a bool binds as the integer 0/1)."""


class TableRows:
    """One table's row encoder and its statements: upsert, delete, and bulk insert."""

    def __init__(self, table: Table) -> None:
        fields = table.field_columns
        derived = tuple(c.name for c in table.columns if c.field_type is None)
        self.table = table
        self.names = tuple(c.name for c in fields)
        self.fields = tuple((c.name, c.field_type) for c in fields)
        self.json_at = tuple(
            (i, c.field_type) for i, c in enumerate(fields) if c.field_type in JSON_TYPES
        )
        self.derived = derived
        self.upsert = _upsert(table.name, ["id", *self.names])
        self.insert = _insert(table.name, ["id", *self.names, *derived])
        self.delete = f"DELETE FROM {quote(table.name)} WHERE id = ?"

    def row(self, record: Record, derived: Sequence[Any] = ()) -> tuple[Any, ...]:
        """The record's column values (``id`` first), then ``derived`` ones if given."""
        data = record.data
        values = list(map(data.get, self.names))
        for i, field_type in self.json_at:
            if values[i] is not None:
                values[i] = encode_value(values[i], field_type)
        if not _AS_IS.issuperset(map(type, values)):
            values = [encode_value(data.get(n), t) for n, t in self.fields]
        return (record.id, *values, *derived)


def _upsert(table: str, cols: list[str]) -> str:
    names = ", ".join(quote(c) for c in cols)
    marks = ", ".join("?" for _ in cols)
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in cols[1:])
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return f"INSERT INTO {quote(table)} ({names}) VALUES ({marks}) ON CONFLICT(id) {conflict}"


def _insert(table: str, cols: list[str]) -> str:
    names = ", ".join(quote(c) for c in cols)
    marks = ", ".join("?" for _ in cols)
    return f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"


ROWS: dict[str, TableRows] = {name: TableRows(t) for name, t in TABLES.items()}
"""Collection name → its table's encoder and statements."""
