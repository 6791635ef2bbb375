"""The mirror's bulk rebuild: same rows as row-by-row writes, indexes back, heads stored."""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from goaltui.mirror import Mirror, MirrorReader
from goaltui.mirror.rows import ROWS
from goaltui.mirror.tables import TABLES, encode_value, schema_ddl
from goaltui.model.records import Record
from test_mirror_fixture import fixture_records, r

HEADS = [bytes.fromhex("ab" * 32), bytes.fromhex("01" * 32)]


def _objects(path: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return {(t, n) for t, n in conn.execute("SELECT type, name FROM sqlite_master")}
    finally:
        conn.close()


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = [t.name for t in TABLES.values()] + ["record_index"]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY id').fetchall() for t in tables}
    finally:
        conn.close()


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    store = Mirror.open(tmp_path / "mirror.db")
    yield store
    store.close()


def test_rebuild_writes_what_row_by_row_upserts_write(tmp_path: Path, mirror: Mirror) -> None:
    """The bulk load (derived columns in the INSERT, indexes afterwards) = apply() from empty."""
    mirror.rebuild(fixture_records(), "s1")
    other = Mirror.open(tmp_path / "other.db")
    other.rebuild([], "s0")
    other.apply(fixture_records(), [], "s1")
    other.close()
    assert _rows(mirror.path) == _rows(tmp_path / "other.db")
    progress = dict(
        sqlite3.connect(mirror.path).execute("SELECT id, progress FROM goals").fetchall()
    )
    assert any(p is not None for p in progress.values())


def test_rebuild_keeps_every_index_and_the_layout(tmp_path: Path, mirror: Mirror) -> None:
    before = _objects(mirror.path)
    mirror.rebuild(fixture_records(), "s1")
    mirror.rebuild(fixture_records(), "s2")
    assert _objects(mirror.path) == before
    indexes = {n for t, n in before if t == "index" and not n.startswith("sqlite_")}
    expected = {s.split('"')[1] for s in schema_ddl() if s.startswith("CREATE INDEX")}
    assert indexes == expected
    mirror.close()
    reopened = Mirror.open(mirror.path)
    assert not reopened.needs_rebuild
    reopened.close()


def test_rebuild_last_record_wins_and_unknown_collections_are_skipped(mirror: Mirror) -> None:
    mirror.rebuild(
        [
            r("goals", "G1", title="first"),
            r("future_things", "X1", a=1),
            r("goals", "G1", title="second"),
        ],
        "s",
    )
    conn = sqlite3.connect(mirror.path)
    assert conn.execute("SELECT id, title FROM goals").fetchall() == [("G1", "second")]
    assert conn.execute("SELECT * FROM record_index").fetchall() == [("G1", "goals")]
    conn.close()


def test_failed_rebuild_keeps_the_old_content_and_settings(mirror: Mirror) -> None:
    mirror.rebuild(fixture_records(), "s1", heads=HEADS)
    before = _rows(mirror.path)
    objects = _objects(mirror.path)

    def broken() -> Iterator[Record]:
        yield r("goals", "G9", title="half")
        raise RuntimeError("document unreadable")

    gc.enable()
    with pytest.raises(RuntimeError, match="unreadable"):
        mirror.rebuild(broken(), "s2")
    assert gc.isenabled()
    assert _rows(mirror.path) == before
    assert _objects(mirror.path) == objects  # the dropped indexes are back
    assert mirror.state() == "s1"
    assert mirror.heads() == sorted(HEADS)
    assert mirror._conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL again


def test_heads_are_stored_by_rebuild_and_apply(mirror: Mirror) -> None:
    assert mirror.heads() is None
    mirror.rebuild(fixture_records(), "s1", heads=HEADS)
    assert mirror.heads() == sorted(HEADS)
    with MirrorReader(mirror.path) as reader:
        assert reader.heads() == sorted(HEADS)
    mirror.apply([r("goals", "G9", title="New")], [], "s2", heads=HEADS[:1])
    assert mirror.heads() == HEADS[:1]
    mirror.apply([], [], "s3", heads=[])
    assert mirror.heads() == []
    mirror.apply([r("goals", "G9", title="Newer")], [], "s4")  # heads unknown: forgotten
    assert mirror.heads() is None
    with MirrorReader(mirror.path) as reader:
        assert reader.heads() is None
        assert reader.state() == "s4"
    mirror.rebuild(fixture_records(), "s5")
    assert mirror.heads() is None


@pytest.mark.parametrize(
    "data",
    [
        {"title": "T", "milestone": True, "depends_on": ["A", "B"], "due": "2027-01-01"},
        {"title": "T", "milestone": False, "depends_on": []},
        {"title": ["not", "a", "string"], "depends_on": "X"},
        {"title": {"odd": 1}, "status": 3, "goal": 1.5},
        {"title": "T", "depends_on": True},
        {},
    ],
)
def test_row_encoder_matches_encode_value(data: dict[str, object]) -> None:
    """The fast row path stores exactly what the general ``encode_value`` path stores."""
    rows = ROWS["tasks"]
    got = rows.row(Record("tasks", "T1", data))
    expected = ("T1", *(encode_value(data.get(n), t) for n, t in rows.fields))
    conn = sqlite3.connect(":memory:")
    for mine, theirs in zip(got, expected, strict=True):
        stored = conn.execute("SELECT ?, typeof(?), ?, typeof(?)", (mine, mine, theirs, theirs))
        value, kind, value_expected, kind_expected = stored.fetchone()
        assert (value, kind) == (value_expected, kind_expected)
    conn.close()


def test_goal_row_has_smart_as_sorted_json() -> None:
    rows = ROWS["goals"]
    record = Record("goals", "G1", {"title": "G", "smart": {"specific": "x", "achievable": "é"}})
    row = dict(zip(("id", *rows.names), rows.row(record), strict=True))
    assert row["smart"] == '{"achievable": "é", "specific": "x"}'
    assert rows.row(record, (0.5,))[-1] == 0.5
