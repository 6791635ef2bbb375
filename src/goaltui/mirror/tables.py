"""The mirror's tables, derived from the model schema: names, columns, DDL, value codecs.

Stdlib only: both the writer (``store``) and the fast reader (``read``) import it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from goaltui.mirror.version import MIRROR_SCHEMA_VERSION, STRATEGY
from goaltui.mirror.version import table_name as _table_name
from goaltui.model.schema import COLLECTIONS, FieldType

__all__ = [
    "DERIVED",
    "JSON_TYPES",
    "MIRROR_SCHEMA_VERSION",
    "STRATEGY",
    "TABLES",
    "Column",
    "Table",
    "create_table_sql",
    "ddl_fingerprint",
    "decode_value",
    "encode_value",
    "layout_json",
    "quote",
    "schema_ddl",
    "table_for",
    "table_indexes",
]


_SQL_TYPES = {
    FieldType.INT: "INTEGER",
    FieldType.BOOL: "INTEGER",
    FieldType.FLOAT: "REAL",
}
_JSON_TYPES = (FieldType.REFS, FieldType.SMART)
JSON_TYPES = _JSON_TYPES
"""Field types stored as JSON text."""

# Columns people filter by; each gets an index where the table has it.
_INDEXED = (
    "goal",
    "parent",
    "owner",
    "cycle",
    "team",
    "kpi",
    "status",
    "due",
    "person",
    "target",
    "assignee",
    "at",
)

DERIVED: dict[str, tuple[tuple[str, str], ...]] = {
    "goals": (("progress", "REAL"),),
    "kpis": (
        ("progress", "REAL"),
        ("current", "REAL"),
        ("current_at", "TEXT"),
        ("last_checkin_at", "TEXT"),
    ),
}
"""Stored derived columns per table, computed by the mirror (never taken from a record)."""


@dataclass(frozen=True)
class Column:
    """One column: its name, SQL type and the model's field type (None for derived)."""

    name: str
    sql_type: str
    field_type: FieldType | None
    ref: str | None = None


@dataclass(frozen=True)
class Table:
    """The table that mirrors one collection."""

    collection: str
    name: str
    columns: tuple[Column, ...]  # without "id"

    @property
    def field_columns(self) -> tuple[Column, ...]:
        """Columns filled from the record's fields (not derived)."""
        return tuple(c for c in self.columns if c.field_type is not None)

    @property
    def column_names(self) -> frozenset[str]:
        return frozenset(["id", *(c.name for c in self.columns)])

    @property
    def archivable(self) -> bool:
        return any(c.name == "archived" for c in self.columns)


def quote(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _build_tables() -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for name, spec in COLLECTIONS.items():
        cols = [
            Column(
                f.name,
                _SQL_TYPES.get(f.type, "TEXT"),
                f.type,
                f.ref if f.type in (FieldType.REF, FieldType.REFS) else None,
            )
            for f in spec.fields
        ]
        cols += [Column(n, t, None) for n, t in DERIVED.get(name, ())]
        tables[name] = Table(name, _table_name(name), tuple(cols))
    tables[STRATEGY] = Table(
        STRATEGY,
        STRATEGY,
        (Column("vision", "TEXT", FieldType.TEXT), Column("mission", "TEXT", FieldType.TEXT)),
    )
    return tables


TABLES: dict[str, Table] = _build_tables()
"""Collection name → its table (``values`` → ``strategy_values``, plus ``strategy``)."""

_BY_TABLE = {t.name: t for t in TABLES.values()}


def table_for(collection: str) -> Table:
    """The table of a collection, by collection name (``values``) or table name."""
    table = TABLES.get(collection) or _BY_TABLE.get(collection)
    if table is None:
        known = ", ".join(sorted(TABLES))
        raise KeyError(f"unknown collection {collection!r}; known: {known}")
    return table


def encode_value(value: Any, field_type: FieldType | None) -> Any:
    """A record field as an SQLite value: bools 0/1, lists and maps as JSON text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if field_type in _JSON_TYPES or isinstance(value, (list, dict, tuple)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


def decode_value(value: Any, field_type: FieldType | None) -> Any:
    """An SQLite value back as the record's field value (the inverse of ``encode_value``)."""
    if value is None:
        return None
    if field_type is FieldType.BOOL:
        return bool(value)
    if field_type in _JSON_TYPES and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _foreign_key(col: Column) -> str:
    if col.ref and col.ref != "*" and col.field_type is FieldType.REF:
        return f" REFERENCES {quote(_table_name(col.ref))}(id)"
    return ""


def create_table_sql(table: Table) -> str:
    """``CREATE TABLE`` of ``table`` (no indexes)."""
    cols = ["id TEXT PRIMARY KEY NOT NULL"]
    cols += [f"{quote(c.name)} {c.sql_type}{_foreign_key(c)}" for c in table.columns]
    return f"CREATE TABLE {quote(table.name)} (\n  " + ",\n  ".join(cols) + "\n)"


def table_indexes(table: Table) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of each index on ``table``.

    A rebuild drops them before its bulk insert and creates them again after: building
    an index once from sorted keys beats updating it row by row.
    """
    names = {c.name for c in table.columns}
    out = []
    for col in _INDEXED:
        if col not in names:
            continue
        key = (
            f"{quote(col)}, {quote('at')}, id"
            if col in ("kpi", "goal") and "at" in names
            else quote(col)
        )
        index = f"idx_{table.name}_{col}"
        out.append((index, f"CREATE INDEX {quote(index)} ON {quote(table.name)} ({key})"))
    return out


_META = [
    "CREATE TABLE record_index (id TEXT PRIMARY KEY NOT NULL, collection TEXT NOT NULL) "
    "WITHOUT ROWID",
    "CREATE TABLE mirror_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT) WITHOUT ROWID",
]


def schema_ddl() -> list[str]:
    """Every CREATE statement of the mirror's tables and indexes (views are in ``views``)."""
    from goaltui.mirror.views import VIEWS

    out = list(_META)
    for table in TABLES.values():
        out.append(create_table_sql(table))
        out.extend(sql for _, sql in table_indexes(table))
    out.extend(sql for _, sql in VIEWS)
    return out


def ddl_fingerprint() -> str:
    """A short hash of the whole DDL: a schema edit in the model triggers a rebuild."""
    import hashlib

    digest = hashlib.sha256("\n;\n".join(schema_ddl()).encode()).hexdigest()
    return f"{MIRROR_SCHEMA_VERSION}:{digest[:16]}"


def layout_json() -> str:
    """The layout the reader needs without importing the model, stored in ``mirror_meta``.

    ``{collection: [table, [[column, kind], ...]]}`` where kind is ``bool``, ``json``,
    ``derived`` or ``plain``.
    """
    layout: dict[str, Any] = {}
    for table in TABLES.values():
        cols = [[c.name, _kind(c)] for c in table.columns]
        layout[table.collection] = [table.name, cols]
    return json.dumps(layout, sort_keys=True)


def _kind(col: Column) -> str:
    if col.field_type is None:
        return "derived"
    if col.field_type is FieldType.BOOL:
        return "bool"
    if col.field_type in _JSON_TYPES:
        return "json"
    return "plain"
