"""Loading a whole workspace into an empty mirror, inside the caller's transaction.

The costs of a rebuild are per row, so each row is written once: progress and the
other derived columns are computed first (by the model, over every record) and go
into the same INSERT as the fields; indexes are dropped before the load and built
again after it from sorted keys, instead of being updated row by row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from operator import attrgetter

from goaltui.mirror.rollup import derived_columns, store_loops
from goaltui.mirror.rows import ROWS
from goaltui.mirror.tables import TABLES, quote, table_indexes
from goaltui.model.records import Record

__all__ = ["bulk_load", "by_id", "create_indexes", "insert_rows", "prepare"]

_INDEXES = [index for table in TABLES.values() for index in table_indexes(table)]
_BY_ID = attrgetter("id")


def bulk_load(conn: sqlite3.Connection, records: Iterable[Record]) -> None:
    """Replace every table's rows with ``records`` (unknown collections are skipped).

    Within one collection a later record replaces an earlier one with the same id.
    """
    by_collection = _by_collection(records)
    goals = by_collection["goals"]
    kpis = by_collection["kpis"]
    goal_extra, kpi_extra, loops = derived_columns(goals, kpis, by_collection["checkins"])
    extras = {"goals": goal_extra, "kpis": kpi_extra}
    prepare(conn)
    store_loops(conn, loops)
    for name, found in by_collection.items():
        insert_rows(conn, name, found, extras.get(name))
    create_indexes(conn)


def prepare(conn: sqlite3.Connection) -> None:
    """Empty every table and drop the indexes, before a bulk load."""
    for name, _ in _INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {quote(name)}")
    for table in TABLES.values():
        conn.execute(f"DELETE FROM {quote(table.name)}")
    conn.execute("DELETE FROM record_index")


def insert_rows(
    conn: sqlite3.Connection,
    name: str,
    found: list[Record],
    extra: dict[str, tuple[object, ...]] | None = None,
) -> None:
    """Insert one collection's records (unique ids), with their derived columns if any."""
    if not found:
        return
    rows = ROWS[name]
    if extra is None:
        conn.executemany(rows.insert, map(rows.row, found))
    else:
        conn.executemany(rows.insert, [rows.row(r, extra[r.id]) for r in found])
    conn.execute(
        "INSERT OR REPLACE INTO record_index (id, collection) "
        f"SELECT id, ? FROM {quote(rows.table.name)}",
        (name,),
    )


def create_indexes(conn: sqlite3.Connection) -> None:
    """Build every index, after a bulk load."""
    for _, sql in _INDEXES:
        conn.execute(sql)


def by_id(records: Iterable[Record]) -> list[Record]:
    """One record per id (the last one), sorted by id."""
    return sorted({r.id: r for r in records}.values(), key=_BY_ID)


def _by_collection(records: Iterable[Record]) -> dict[str, list[Record]]:
    """The records per known collection, one per id (the last one), sorted by id."""
    buckets: dict[str, dict[str, Record]] = {name: {} for name in ROWS}
    for record in records:
        bucket = buckets.get(record.collection)
        if bucket is not None:
            bucket[record.id] = record
    return {name: sorted(bucket.values(), key=_BY_ID) for name, bucket in buckets.items()}
