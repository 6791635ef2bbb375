"""``MirrorReader.query``: SELECTs run, anything that would write is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from goaltui.mirror import MirrorReader, QueryError, ReadOnlyQuery
from test_mirror_fixture import mirror_path, pinned_now, reader

__all__ = ["mirror_path", "pinned_now", "reader"]  # fixtures used by the tests below


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO goals (id, title) VALUES ('X', 'x')",
        "UPDATE goals SET title = 'x'",
        "DELETE FROM goals",
        "DROP TABLE goals",
        "DROP VIEW alignment",
        "PRAGMA user_version = 5",
        "PRAGMA query_only = 0",
        "PRAGMA journal_mode = DELETE",
        "ATTACH DATABASE ':memory:' AS other",
        "CREATE TABLE x (a)",
        "CREATE TEMP TABLE x (a)",
        "CREATE VIEW v AS SELECT 1",
        "CREATE INDEX i ON goals (title)",
        "ALTER TABLE goals ADD COLUMN x",
        "REPLACE INTO mirror_meta (key, value) VALUES ('state', 'forged')",
        "WITH t AS (SELECT 1) INSERT INTO mirror_meta SELECT 'a', 'b' FROM t",
        "VACUUM",
        "REINDEX",
        "ANALYZE",
        "BEGIN",
        "SAVEPOINT s",
    ],
)
def test_writes_are_refused(reader: MirrorReader, mirror_path: Path, sql: str) -> None:
    with pytest.raises(ReadOnlyQuery, match="is read-only: goaltui sql runs SELECT queries only"):
        reader.query(sql)
    conn = sqlite3.connect(mirror_path)
    assert conn.execute("SELECT count(*) FROM goals").fetchone() == (5,)
    assert conn.execute("PRAGMA user_version").fetchone()[0] != 5
    assert conn.execute("SELECT value FROM mirror_meta WHERE key = 'state'").fetchone() == (
        "state-1",
    )
    conn.close()
    # and the connection still works afterwards
    assert reader.query("SELECT count(*) FROM goals")[1] == [(5,)]


def test_select_works(reader: MirrorReader) -> None:
    names, rows = reader.query(
        "SELECT id, title FROM goal_progress WHERE progress > ? ORDER BY id", (0.4,)
    )
    assert names == ["id", "title"]
    assert rows == [("G1", "Grow revenue"), ("G2", "Launch EU"), ("G3", "Hire two engineers")]
    names, rows = reader.query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) "
        "SELECT sum(i) FROM n"
    )
    assert rows == [(6,)]


def test_read_pragmas_work(reader: MirrorReader) -> None:
    names, rows = reader.query("PRAGMA table_info(goals)")
    assert "name" in names
    assert any(row[1] == "progress" for row in rows)
    assert reader.query("PRAGMA user_version")[1] == [(1,)]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELEC 1", "syntax error"),
        ("SELECT * FROM nope", "no such table"),
        ("SELECT 1; SELECT 2", "one SELECT statement"),
    ],
)
def test_bad_queries_say_why(reader: MirrorReader, sql: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        reader.query(sql)
