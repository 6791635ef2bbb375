"""Fast, read-only access to the mirror for the CLI, the TUI's first frame and the reports.

Stdlib ``sqlite3`` only: a ``goaltui list goals --json`` process must start, query and
exit in about 100 ms, so this module imports nothing heavy.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from goaltui.errors import GoaltuiError, StorageProblem
from goaltui.mirror.version import (
    DDL_FINGERPRINT,
    MIRROR_SCHEMA_VERSION,
    STRATEGY,
    parse_heads,
    table_name,
)

__all__ = ["MirrorReader", "QueryError", "ReadOnlyQuery"]


class ReadOnlyQuery(GoaltuiError):
    """A statement given to ``goaltui sql`` would change something."""

    title = "Read-only"


class QueryError(GoaltuiError):
    """A query the database rejected (syntax, unknown table or column)."""

    title = "Query failed"


_ALLOWED_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    getattr(sqlite3, "SQLITE_RECURSIVE", 33),
}
# Pragmas that only read; with an argument only where the argument names a table or index.
_READ_PRAGMAS = {"user_version", "schema_version", "page_count", "page_size", "encoding"}
_INTROSPECT_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo"}
_INTROSPECT_PRAGMAS |= {"foreign_key_list", "table_list"}


class _Layout:
    """One table as the reader sees it: name, columns and how to decode each."""

    def __init__(self, collection: str, name: str, columns: list[list[str]]) -> None:
        self.collection = collection
        self.name = name
        self.kinds = {"id": "plain", **{c: k for c, k in columns}}
        self.column_names = frozenset(self.kinds)
        self.archivable = "archived" in self.kinds

    def decode(self, column: str, value: Any) -> Any:
        if value is None:
            return None
        kind = self.kinds.get(column)
        if kind == "bool":
            return bool(value)
        if kind == "json" and isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value


class MirrorReader:
    """A read-only connection to a mirror file (``mode=ro``, ``query_only``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise StorageProblem(
                f"no mirror at {self.path}; run `goaltui mirror rebuild` to create it"
            )
        try:
            self._conn = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            self._conn.execute("PRAGMA query_only = 1")
        except sqlite3.Error as exc:
            raise StorageProblem(f"cannot read the mirror {self.path}: {exc}") from exc
        try:
            (self._version,) = self._conn.execute("PRAGMA user_version").fetchone()
            self._ddl = self._meta("ddl")
        except sqlite3.DatabaseError:
            self._version = None  # not a database: state() is None, so callers rebuild it
            self._ddl = None
        self._denied: str | None = None
        self._layouts: dict[str, _Layout] | None = None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> MirrorReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def current_layout(self) -> bool:
        """Whether the file has this code's layout (else it needs ``Mirror.open``)."""
        return bool(self._version == MIRROR_SCHEMA_VERSION and self._ddl == DDL_FINGERPRINT)

    def _meta(self, key: str) -> Any:
        """A ``mirror_meta`` value; None if absent or unreadable (an empty or foreign file)."""
        try:
            row = self._conn.execute(
                "SELECT value FROM mirror_meta WHERE key = ?", (key,)
            ).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else row[0]

    def state(self) -> str | None:
        """The state string of the last write; None if never written or of another layout."""
        if not self.current_layout:
            return None
        value = self._meta("state")
        return None if value is None else str(value)

    def heads(self) -> list[bytes] | None:
        """The document heads the mirror reflects, as stored by its writer; None if unknown.

        A reader that finds them behind the document's can bring the mirror up to date
        with just the changes since (``Mirror.apply`` of the records they touched).
        """
        if not self.current_layout:
            return None
        value = self._meta("heads")
        return None if value is None else parse_heads(value)

    def loop_members(self) -> list[str]:
        """The live goals on a parent loop (possible only after a merge), sorted; the
        roll-up and the tree count them as roots."""
        value = self._meta("loops")  # rollup.LOOPS_KEY (not imported: keep readers light)
        try:
            found = json.loads(value) if value is not None else []
        except ValueError:
            return []
        return sorted(str(g) for g in found) if isinstance(found, list) else []

    def list_records(
        self,
        collection: str,
        *,
        where: dict[str, object] | None = None,
        include_archived: bool = False,
        order_by: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Records of a collection as dicts (``id`` first), filtered by equality.

        ``where`` maps column → value (None matches missing, a list matches any of its
        items); ``order_by`` is a column name, ``-name`` for descending. Goals and KPIs
        carry ``progress``; KPIs also ``current`` and ``current_at``.
        """
        table = self._table(collection)
        sql, params = self._select(table, "*", where, include_archived, order_by, limit, offset)
        return self._records(table, sql, params)

    def list_json(
        self,
        collection: str,
        *,
        where: dict[str, object] | None = None,
        include_archived: bool = False,
        order_by: str | None = None,
        limit: int | None = None,
    ) -> str:
        """The records ``list_records`` returns, as a JSON array text built by SQLite.

        About 5× faster than building dicts and encoding them in Python, which is most
        of ``goaltui list --json``. Reals carry SQLite's 15 significant digits.
        """
        table = self._table(collection)
        sql, params = self._select(
            table, _json_object(table), where, include_archived, order_by, limit, 0
        )
        rows = self._conn.execute(sql, params).fetchall()
        return "[" + ",".join(row[0] for row in rows) + "]"

    def _select(
        self,
        table: _Layout,
        columns: str,
        where: dict[str, object] | None,
        include_archived: bool,
        order_by: str | None,
        limit: int | None,
        offset: int,
    ) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        for column, value in (where or {}).items():
            clauses.append(_condition(table, column, value, params))
        if table.archivable and not include_archived and "archived" not in (where or {}):
            clauses.append("coalesce(archived, 0) = 0")
        sql = f"SELECT {columns} FROM {quote(table.name)}"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY " + _order(table, order_by)
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            params += [-1 if limit is None else int(limit), int(offset)]
        return sql, params

    def count(self, collection: str, *, include_archived: bool = False) -> int:
        """How many records a collection holds."""
        table = self._table(collection)
        sql = f"SELECT count(*) FROM {quote(table.name)}"
        if table.archivable and not include_archived:
            sql += " WHERE coalesce(archived, 0) = 0"
        return int(self._conn.execute(sql).fetchone()[0])

    def get(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """The record with exactly this id, as (collection, record), or None."""
        row = self._conn.execute(
            "SELECT collection FROM record_index WHERE id = ?", (record_id,)
        ).fetchone()
        if row is None or row[0] not in self._tables():
            return None
        table = self._tables()[row[0]]
        found = self._records(table, f"SELECT * FROM {quote(table.name)} WHERE id = ?", [record_id])
        return (table.collection, found[0]) if found else None

    def resolve(self, prefix: str, limit: int = 50) -> list[tuple[str, str]]:
        """Ids that start with ``prefix`` as (collection, id), sorted; case-insensitive retry."""
        matches = self._prefix(prefix, limit)
        if not matches and prefix != prefix.upper():
            matches = self._prefix(prefix.upper(), limit)
        return matches

    def strategy(self) -> dict[str, Any]:
        """Vision and mission (empty strings when not set yet)."""
        found = self.get(STRATEGY)
        record = found[1] if found else {}
        return {"vision": record.get("vision") or "", "mission": record.get("mission") or ""}

    def children(self, goal_id: str, *, include_archived: bool = False) -> list[dict[str, Any]]:
        """The goals whose parent is ``goal_id``, by title."""
        return self.list_records(
            "goals",
            where={"parent": goal_id},
            include_archived=include_archived,
            order_by="title",
        )

    def view(self, name: str, where: dict[str, object] | None = None) -> list[dict[str, Any]]:
        """Rows of one of the mirror's views as dicts, in the view's own order."""
        views = self.view_names()
        if name not in views:
            raise QueryError(f"no view {name!r}; views: {', '.join(views)}")
        params: list[object] = []
        sql = f"SELECT * FROM {quote(name)}"
        if where:
            cur = self._conn.execute(f"SELECT * FROM {quote(name)} LIMIT 0")
            known = {d[0] for d in cur.description}
            conds = []
            for column, value in where.items():
                if column not in known:
                    raise QueryError(f"view {name} has no column {column!r}")
                conds.append(f"{quote(column)} IS ?")
                params.append(value)
            sql += " WHERE " + " AND ".join(conds)
        cur = self._conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def query(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one read-only statement; a statement that would write raises ReadOnlyQuery."""
        self._denied = None
        self._conn.set_authorizer(self._authorize)
        try:
            cur = self._conn.execute(sql, params)
            rows = cur.fetchall()
        except (sqlite3.Warning, sqlite3.ProgrammingError, ValueError) as exc:
            if "one statement" in str(exc):
                raise QueryError(
                    "goaltui sql runs one SELECT statement at a time; remove the others"
                ) from None
            raise QueryError(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            if self._denied is not None or "readonly" in str(exc) or "read-only" in str(exc):
                what = self._denied or "this statement"
                raise ReadOnlyQuery(
                    f"{what} is read-only: goaltui sql runs SELECT queries only"
                ) from None
            raise QueryError(f"{exc}; check the query against docs/sql.md") from None
        finally:
            self._conn.set_authorizer(None)
        names = [d[0] for d in cur.description] if cur.description else []
        return names, rows

    def view_names(self) -> list[str]:
        """The mirror's views, by name."""
        rows = self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def collections(self) -> list[str]:
        """Every collection the mirror holds (``values``, ``strategy`` included), sorted."""
        return sorted(self._tables())

    def table_name(self, collection: str) -> str:
        """The SQL table of a collection."""
        return self._table(collection).name

    def field_names(self, collection: str) -> list[str]:
        """The record fields of a collection, in schema order (no ``id``, no derived)."""
        table = self._table(collection)
        return [c for c, k in table.kinds.items() if c != "id" and k != "derived"]

    # --- internals -------------------------------------------------------------------------

    def _authorize(
        self, action: int, arg1: str | None, arg2: str | None, db: str | None, trigger: str | None
    ) -> int:
        if action in _ALLOWED_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA and arg1 is not None:
            name = arg1.lower()
            if (name in _READ_PRAGMAS and arg2 is None) or name in _INTROSPECT_PRAGMAS:
                return sqlite3.SQLITE_OK
            self._denied = self._denied or f"PRAGMA {arg1}" + ("" if arg2 is None else f" = {arg2}")
            return sqlite3.SQLITE_DENY
        self._denied = self._denied or _ACTION_NAMES.get(action, "this statement")
        return sqlite3.SQLITE_DENY

    def _prefix(self, prefix: str, limit: int) -> list[tuple[str, str]]:
        rows = self._conn.execute(
            "SELECT collection, id FROM record_index WHERE id >= ? AND id < ? "
            "AND substr(id, 1, ?) = ? ORDER BY id LIMIT ?",
            (prefix, prefix + "\U0010ffff", len(prefix), prefix, limit),
        ).fetchall()
        return [(str(c), str(i)) for c, i in rows]

    def _tables(self) -> dict[str, _Layout]:
        if self._layouts is None:
            try:
                row = self._conn.execute(
                    "SELECT value FROM mirror_meta WHERE key = 'layout'"
                ).fetchone()
            except sqlite3.Error:
                row = None
            if row is None or not self.current_layout:
                raise StorageProblem(
                    f"the mirror {self.path} is from another goaltui version; "
                    "run `goaltui mirror rebuild`"
                )
            self._layouts = {
                coll: _Layout(coll, name, cols) for coll, (name, cols) in json.loads(row[0]).items()
            }
        return self._layouts

    def _table(self, collection: str) -> _Layout:
        tables = self._tables()
        table = tables.get(collection)
        if table is None:
            by_name = {t.name: t for t in tables.values()}
            table = by_name.get(collection) or by_name.get(table_name(collection))
        if table is None:
            known = ", ".join(sorted(tables))
            raise QueryError(f"unknown collection {collection!r}; known: {known}")
        return table

    def _records(self, table: _Layout, sql: str, params: Sequence[object]) -> list[dict[str, Any]]:
        cur = self._conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        special = [(n, table.kinds[n]) for n in names if table.kinds.get(n) in ("bool", "json")]
        records = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        for name, _kind in special:  # only bool and JSON columns need decoding
            for record in records:
                value = record[name]
                if value is not None:
                    record[name] = table.decode(name, value)
        return records


def _json_object(table: _Layout) -> str:
    """``json_object(...)`` of a row, decoding bool and JSON columns as ``_Layout.decode`` does."""
    parts = []
    for name, kind in table.kinds.items():
        column = quote(name)
        if kind == "bool":
            value = (
                f"json(CASE WHEN {column} THEN 'true' WHEN {column} IS NOT NULL THEN 'false' END)"
            )
        elif kind == "json":
            value = f"CASE WHEN json_valid({column}) THEN json({column}) ELSE {column} END"
        else:
            value = column
        key = name.replace("'", "''")
        parts.append(f"'{key}', {value}")
    return f"json_object({', '.join(parts)})"


_ACTION_NAMES = {
    sqlite3.SQLITE_INSERT: "INSERT",
    sqlite3.SQLITE_UPDATE: "UPDATE",
    sqlite3.SQLITE_DELETE: "DELETE",
    sqlite3.SQLITE_ATTACH: "ATTACH",
    sqlite3.SQLITE_DETACH: "DETACH",
    sqlite3.SQLITE_CREATE_TABLE: "CREATE TABLE",
    sqlite3.SQLITE_CREATE_INDEX: "CREATE INDEX",
    sqlite3.SQLITE_CREATE_VIEW: "CREATE VIEW",
    sqlite3.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER",
    sqlite3.SQLITE_CREATE_TEMP_TABLE: "CREATE TEMP TABLE",
    sqlite3.SQLITE_CREATE_TEMP_VIEW: "CREATE TEMP VIEW",
    sqlite3.SQLITE_CREATE_TEMP_INDEX: "CREATE TEMP INDEX",
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER: "CREATE TEMP TRIGGER",
    sqlite3.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE",
    sqlite3.SQLITE_DROP_TABLE: "DROP TABLE",
    sqlite3.SQLITE_DROP_INDEX: "DROP INDEX",
    sqlite3.SQLITE_DROP_VIEW: "DROP VIEW",
    sqlite3.SQLITE_DROP_TRIGGER: "DROP TRIGGER",
    sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE",
    sqlite3.SQLITE_TRANSACTION: "BEGIN/COMMIT",
    sqlite3.SQLITE_ANALYZE: "ANALYZE",
    sqlite3.SQLITE_REINDEX: "REINDEX",
    getattr(sqlite3, "SQLITE_SAVEPOINT", 32): "SAVEPOINT",
}


def quote(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _condition(table: _Layout, column: str, value: object, params: list[object]) -> str:
    if column not in table.column_names:
        raise QueryError(
            f"{table.collection} has no field {column!r}; fields: "
            + ", ".join(sorted(table.column_names))
        )
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        if not items:
            return "0"
        params.extend(int(v) if isinstance(v, bool) else v for v in items)
        return f"{quote(column)} IN ({', '.join('?' for _ in items)})"
    if value is None:
        return f"{quote(column)} IS NULL"
    params.append(int(value) if isinstance(value, bool) else value)
    if column == "archived" and value in (False, 0):
        params.pop()
        return "coalesce(archived, 0) = 0"
    return f"{quote(column)} = ?"


def _order(table: _Layout, order_by: str | None) -> str:
    if not order_by:
        return "id"
    descending = order_by.startswith("-")
    column = order_by.lstrip("-")
    if column not in table.column_names:
        raise QueryError(
            f"cannot sort {table.collection} by {column!r}; fields: "
            + ", ".join(sorted(table.column_names))
        )
    direction = "DESC" if descending else "ASC"
    return f"{quote(column)} IS NULL, {quote(column)} {direction}, id"
