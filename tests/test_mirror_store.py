"""The mirror's writer: layout versioning, private files, transactions, apply == rebuild."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goaltui.errors import StorageProblem
from goaltui.mirror import MIRROR_SCHEMA_VERSION, Mirror, MirrorReader
from goaltui.mirror.tables import ddl_fingerprint
from goaltui.mirror.version import DDL_FINGERPRINT
from goaltui.model.records import Record
from test_mirror_fixture import fixture_records, r


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o000])
def test_files_are_private_whatever_the_umask(tmp_path: Path, umask: None, mask: int) -> None:
    os.umask(mask)
    path = tmp_path / "mirror.db"
    mirror = Mirror.open(path)
    mirror.rebuild(fixture_records(), "s")
    with MirrorReader(path) as reader:
        assert reader.state() == "s"
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()
        for file in (path, wal, shm):
            assert _mode(file) == 0o600, file
    mirror.close()
    assert _mode(path) == 0o600


def test_existing_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "mirror.db"
    path.touch()
    path.chmod(0o644)
    Mirror.open(path).close()
    assert _mode(path) == 0o600


def test_new_mirror_needs_rebuild_and_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "mirror.db"
    mirror = Mirror.open(path)
    assert mirror.needs_rebuild
    assert mirror.state() is None
    mirror.rebuild([], "s0")
    mirror.close()
    mirror = Mirror.open(path)
    assert not mirror.needs_rebuild
    assert mirror.state() == "s0"
    mirror.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA user_version").fetchone() == (MIRROR_SCHEMA_VERSION,)
    conn.close()


def test_user_version_mismatch_recreates(tmp_path: Path) -> None:
    path = tmp_path / "mirror.db"
    mirror = Mirror.open(path)
    mirror.rebuild(fixture_records(), "s1")
    mirror.close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {MIRROR_SCHEMA_VERSION + 1}")
    conn.close()
    with MirrorReader(path) as reader:
        assert not reader.current_layout
        assert reader.state() is None  # so callers bring it up to date
    mirror = Mirror.open(path)
    assert mirror.needs_rebuild
    assert mirror.state() is None
    with MirrorReader(path) as reader:
        assert reader.count("goals") == 0
        assert reader.current_layout
    mirror.close()


def test_the_readers_ddl_fingerprint_is_the_writers() -> None:
    assert ddl_fingerprint() == DDL_FINGERPRINT, (
        "the mirror's tables or views changed: set DDL_FINGERPRINT in "
        f"src/goaltui/mirror/version.py to {ddl_fingerprint()!r}"
    )


def test_a_mirror_with_other_views_is_stale_for_readers_and_recreated(tmp_path: Path) -> None:
    """Same layout version, other DDL (say, an older alignment view): rebuilt, not read."""
    path = tmp_path / "mirror.db"
    with Mirror.open(path) as mirror:
        mirror.rebuild(fixture_records(), "s1")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE mirror_meta SET value = '1:0000000000000000' WHERE key = 'ddl'")
    conn.commit()
    conn.close()
    with MirrorReader(path) as reader:
        assert not reader.current_layout
        assert reader.state() is None
    with Mirror.open(path) as mirror:
        assert mirror.needs_rebuild
    with MirrorReader(path) as reader:
        assert reader.current_layout


def test_missing_table_recreates(tmp_path: Path) -> None:
    path = tmp_path / "mirror.db"
    mirror = Mirror.open(path)
    mirror.rebuild(fixture_records(), "s1")
    mirror.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP VIEW goal_progress")
    conn.execute("DROP TABLE risks")
    conn.close()
    mirror = Mirror.open(path)
    assert mirror.needs_rebuild
    mirror.rebuild(fixture_records(), "s2")
    mirror.close()
    with MirrorReader(path) as reader:
        assert reader.count("risks") == 3
        assert len(reader.view("goal_progress")) == 4


def test_garbage_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "mirror.db"
    path.write_bytes(b"this is not a database, just junk " * 200)
    mirror = Mirror.open(path)
    assert mirror.needs_rebuild
    mirror.rebuild(fixture_records(), "s")
    mirror.close()
    assert _mode(path) == 0o600


def test_reader_on_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StorageProblem, match="mirror rebuild"):
        MirrorReader(tmp_path / "absent.db")


def test_failed_apply_rolls_back(tmp_path: Path) -> None:
    path = tmp_path / "mirror.db"
    mirror = Mirror.open(path)
    mirror.rebuild(fixture_records(), "s1")

    def bad_records() -> Iterator[Record]:
        yield r("goals", "G9", title="Half done")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        mirror.apply(bad_records(), [], "s2")
    assert mirror.state() == "s1"
    with MirrorReader(path) as reader:
        assert reader.get("G9") is None
    mirror.close()


def test_apply_updates_progress_of_ancestors(tmp_path: Path) -> None:
    path = tmp_path / "mirror.db"
    mirror = Mirror.open(path)
    mirror.rebuild(fixture_records(), "s1")
    # K3 reaches its target: G3 = 1 (K6 none), G2 = (1 + 0.2 + 1) / 4 = 0.55, G1 = G2.
    new = r("checkins", "CI9", kpi="K3", at="2027-03-15T08:00:00Z", value=2.0)
    mirror.apply([new], [("tasks", "T1")], "s2")
    with MirrorReader(path) as reader:
        got = {g["id"]: g["progress"] for g in reader.list_records("goals")}
        assert got["G3"] == 1.0
        assert got["G2"] == pytest.approx(0.55)
        assert got["G1"] == pytest.approx(0.55)
        assert reader.get("T1") is None
        assert reader.resolve("T1") == []
        assert reader.state() == "s2"
        k3 = reader.list_records("kpis", where={"id": "K3"})[0]
        assert (k3["current"], k3["current_at"]) == (2.0, "2027-03-15T08:00:00Z")
    mirror.close()


def test_unknown_collections_are_ignored(tmp_path: Path) -> None:
    mirror = Mirror.open(tmp_path / "m.db")
    mirror.rebuild([r("meta", "meta", name="x"), r("goals", "G1", title="A")], "s")
    mirror.apply([r("future_things", "X1", a=1)], [("future_things", "X1")], "s2")
    assert mirror.state() == "s2"
    mirror.close()


def _progress(path: Path) -> dict[str, float | None]:
    with MirrorReader(path) as reader:
        return {g["id"]: g["progress"] for g in reader.list_records("goals")}


def test_parent_loops_are_cut_and_healed(tmp_path: Path) -> None:
    """A loop from concurrent edits: each goal on it counts as a root, until it is broken."""
    path = tmp_path / "m.db"
    mirror = Mirror.open(path)
    kpi = r("kpis", "K1", goal="C", name="k", baseline=0.0, target=4.0)
    mirror.rebuild(
        [
            r("goals", "A", title="A"),
            r("goals", "B", title="B", parent="A"),
            r("goals", "C", title="C", parent="B"),
            kpi,
            r("checkins", "X", kpi="K1", at="2027-01-01T00:00:00Z", value=1.0),
        ],
        "s1",
    )
    assert _progress(path) == {"A": 0.25, "B": 0.25, "C": 0.25}
    reader = MirrorReader(path)
    assert reader.loop_members() == []
    mirror.apply([r("goals", "A", title="A", parent="C")], [], "s2")  # A → C → B → A
    assert _progress(path) == {"A": None, "B": None, "C": 0.25}
    assert reader.loop_members() == ["A", "B", "C"]  # the TUI shows them as roots
    mirror.apply([r("goals", "B", title="B")], [], "s3")  # B becomes the root: B → C → A
    assert _progress(path) == {"A": None, "B": 0.25, "C": 0.25}
    assert reader.loop_members() == []
    mirror.apply([r("goals", "C", title="C", parent="A")], [], "s4")  # loop again: A ↔ C
    assert _progress(path) == {"A": None, "B": None, "C": 0.25}
    assert reader.loop_members() == ["A", "C"]  # B hangs below the loop, not on it
    mirror.apply([r("goals", "A", title="A", archived=True)], [], "s5")  # archiving breaks it
    assert _progress(path) == {"B": None, "C": 0.25}
    assert reader.loop_members() == []
    reader.close()
    mirror.close()


# --- apply() after any changes equals rebuild() of the same final records -----------------

GOAL_IDS = [f"G{i}" for i in range(6)]
KPI_IDS = [f"K{i}" for i in range(5)]
CHECKIN_IDS = [f"C{i}" for i in range(8)]

_maybe_num = st.one_of(st.none(), st.integers(-3, 12).map(float))
_goal = st.builds(
    lambda i, parent, archived, title: r(
        "goals", i, title=title, parent=parent, **({"archived": True} if archived else {})
    ),
    st.sampled_from(GOAL_IDS),
    st.one_of(st.none(), st.sampled_from([*GOAL_IDS, "missing"])),
    st.booleans(),
    st.sampled_from(["a", "b"]),
)
_kpi = st.builds(
    lambda i, goal, baseline, target, weight, direction, archived: r(
        "kpis",
        i,
        goal=goal,
        name=i,
        baseline=baseline,
        target=target,
        weight=weight,
        direction=direction,
        archived=archived,
    ),
    st.sampled_from(KPI_IDS),
    st.sampled_from([*GOAL_IDS, "missing"]),
    _maybe_num,
    _maybe_num,
    st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0, 3.0, -1.0])),
    st.sampled_from([None, "increase", "decrease", "maintain"]),
    st.booleans(),
)
_checkin = st.builds(
    lambda i, kpi, day, value: r(
        "checkins", i, kpi=kpi, at=f"2027-03-{day:02d}T00:00:00Z", value=value
    ),
    st.sampled_from(CHECKIN_IDS),
    st.sampled_from([*KPI_IDS, "missing"]),
    st.integers(1, 4),
    _maybe_num,
)
_record = st.one_of(_goal, _kpi, _checkin)
_delete = st.one_of(
    st.tuples(st.just("goals"), st.sampled_from(GOAL_IDS)),
    st.tuples(st.just("kpis"), st.sampled_from(KPI_IDS)),
    st.tuples(st.just("checkins"), st.sampled_from(CHECKIN_IDS)),
)
_batch = st.tuples(st.lists(_record, max_size=5), st.lists(_delete, max_size=3))


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    out = {}
    for table in ("goals", "kpis", "checkins", "record_index"):
        rows = conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
        out[table] = [
            tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows
        ]
    out["loops"] = conn.execute("SELECT value FROM mirror_meta WHERE key = 'loops'").fetchall()
    conn.close()
    return out


@pytest.mark.slow
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(initial=st.lists(_record, max_size=12), batches=st.lists(_batch, min_size=1, max_size=4))
def test_apply_equals_rebuild(
    tmp_path: Path,
    initial: list[Record],
    batches: list[tuple[list[Record], list[tuple[str, str]]]],
) -> None:
    template = tmp_path / "template.db"
    if not template.exists():  # an empty mirror of the current layout, copied per example
        Mirror.open(template).close()
    for name in ("inc.db", "full.db"):
        for suffix in ("-wal", "-shm"):
            Path(f"{tmp_path / name}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, tmp_path / name)
    records = {(rec.collection, rec.id): rec for rec in initial}
    inc = Mirror.open(tmp_path / "inc.db")
    inc.rebuild(list(records.values()), "0")
    for n, (upserts, deletes) in enumerate(batches):
        live_upserts = {(u.collection, u.id): u for u in upserts}
        live_deletes = [d for d in deletes if d not in live_upserts]
        for key in live_deletes:
            records.pop(key, None)
        records.update(live_upserts)
        inc.apply(live_upserts.values(), live_deletes, str(n))
    inc.close()
    full = Mirror.open(tmp_path / "full.db")
    full.rebuild(list(records.values()), "x")
    full.close()
    assert _dump(tmp_path / "inc.db") == _dump(tmp_path / "full.db")
