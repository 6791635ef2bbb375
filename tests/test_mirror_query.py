"""``MirrorReader.query``: SELECTs run, anything that would write is refused; ``list_json``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from goaltui.demo import build_demo
from goaltui.mirror import MirrorReader, QueryError, ReadOnlyQuery
from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace
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


@pytest.fixture(scope="module")
def demo_reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorReader]:
    """The demo workspace's mirror, built once."""
    paths = WorkspacePaths(Path(tmp_path_factory.mktemp("data")), "demo")
    with Workspace.create(paths) as ws:
        build_demo(ws)
        ws.ensure_mirror()
    with MirrorReader(paths.mirror) as demo:
        yield demo


def _close_floats(value: Any) -> Any:
    """Floats compared to SQLite's 15 significant digits."""
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-14)
    if isinstance(value, dict):
        return {k: _close_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_close_floats(v) for v in value]
    return value


def test_list_json_is_list_records_as_json(demo_reader: MirrorReader) -> None:
    """Every collection: the SQLite-built JSON decodes to the records, bools and JSON included."""
    checked_kinds: set[str] = set()
    for coll in demo_reader.collections():
        for archived in (False, True):
            expected = demo_reader.list_records(coll, include_archived=archived)
            got = json.loads(demo_reader.list_json(coll, include_archived=archived))
            assert got == _close_floats(expected), coll
            checked_kinds |= {type(v).__name__ for r in got for v in r.values()}
    assert {"bool", "dict", "float", "int", "str", "NoneType"} <= checked_kinds


def test_list_json_filters_sorts_and_limits(demo_reader: MirrorReader) -> None:
    query: dict[str, Any] = {"where": {"level": "team"}, "order_by": "-due", "limit": 3}
    got = json.loads(demo_reader.list_json("goals", **query))
    assert [g["id"] for g in got] == [g["id"] for g in demo_reader.list_records("goals", **query)]
    assert len(got) == 3 and all(g["level"] == "team" for g in got)
    assert demo_reader.list_json("goals", where={"level": "no such level"}) == "[]"
