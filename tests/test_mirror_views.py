"""Every view and the stored progress of the mirror against hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import pytest

from goaltui.mirror import Mirror, MirrorReader, QueryError
from goaltui.model.records import Record
from test_mirror_fixture import EXPECTED_PROGRESS, mirror_path, pinned_now, reader

__all__ = ["mirror_path", "pinned_now", "reader"]  # fixtures used by the tests below


def test_stored_progress_and_current(reader: MirrorReader) -> None:
    got = {
        row["id"]: row["progress"]
        for coll in ("goals", "kpis")
        for row in reader.list_records(coll)
    }
    for record_id, expected in EXPECTED_PROGRESS.items():
        if expected is None:
            assert got[record_id] is None, record_id
        else:
            assert got[record_id] == pytest.approx(expected), record_id
    k1 = reader.get("K1")
    assert k1 is not None
    assert k1[1]["current"] == 50.0
    assert k1[1]["current_at"] == "2027-03-10T09:00:00Z"


def test_goal_progress_view(reader: MirrorReader) -> None:
    rows = {row["id"]: row for row in reader.view("goal_progress")}
    assert sorted(rows) == ["G1", "G2", "G3", "G4"]  # G5 is archived
    assert rows["G2"]["owner_name"] == "Ben"
    assert rows["G2"]["team"] == "TM1"
    assert rows["G2"]["kpi_count"] == 2
    assert rows["G1"]["kpi_count"] == 0  # its one KPI is archived
    assert rows["G3"]["kpi_count"] == 2
    assert rows["G2"]["progress"] == pytest.approx(0.425)
    assert rows["G4"]["progress"] is None


def test_alignment_view_is_depth_first(reader: MirrorReader) -> None:
    rows = reader.view("alignment")
    assert [(r["id"], r["depth"], r["path"]) for r in rows] == [
        ("G1", 0, "Grow revenue"),
        ("G4", 1, "Grow revenue / Cut churn"),
        ("G2", 1, "Grow revenue / Launch EU"),
        ("G3", 2, "Grow revenue / Launch EU / Hire two engineers"),
    ]
    assert rows[3]["parent"] == "G2"
    assert rows[2]["progress"] == pytest.approx(0.425)


def test_overdue_view(reader: MirrorReader) -> None:
    rows = reader.view("overdue")
    assert [(r["kind"], r["id"], r["days_overdue"], r["owner"]) for r in rows] == [
        ("goal", "G2", 14, "P2"),
        ("task", "T1", 5, "P2"),
    ]
    assert rows[1]["owner_name"] == "Ben"


def test_stale_checkins_view(reader: MirrorReader) -> None:
    rows = reader.view("stale_checkins")
    assert [(r["id"], r["cadence_days"], r["days_since"]) for r in rows] == [
        ("K6", 7, None),  # never checked in
        ("K2", 7, 42),  # last on 2027-02-01, weekly cycle
    ]
    assert rows[1]["last_checkin"] == "2027-02-01T09:00:00Z"


def test_risk_matrix_view(reader: MirrorReader) -> None:
    rows = reader.view("risk_matrix")
    assert rows == [
        {"likelihood": 3, "impact": 4, "count": 2, "titles": "No candidates; Regulatory delay"}
    ]


def test_priority_divergence_view(reader: MirrorReader) -> None:
    rows = reader.view("priority_divergence")
    assert [
        (r["goal"], r["rankers"], r["min_rank"], r["max_rank"], r["avg_rank"], r["spread"])
        for r in rows
    ] == [
        ("G3", 3, 1, 3, 2.0, 2),
        ("G4", 3, 1, 3, 2.33, 2),
        ("G2", 3, 1, 2, 1.67, 1),
    ]
    assert rows[0]["title"] == "Hire two engineers"
    assert rows[0]["cycle"] == "C1"


def test_list_records_filters_and_orders(reader: MirrorReader) -> None:
    ids = [g["id"] for g in reader.list_records("goals", where={"parent": "G1"})]
    assert ids == ["G2", "G4"]
    by_due = reader.list_records("goals", order_by="-due", limit=2)
    assert [g["id"] for g in by_due] == ["G1", "G3"]
    assert [g["id"] for g in reader.list_records("goals", order_by="due", offset=3)] == ["G1"]
    assert len(reader.list_records("goals", include_archived=True)) == 5
    assert [t["id"] for t in reader.list_records("tasks", where={"milestone": True})] == ["T2"]
    assert [t["id"] for t in reader.list_records("goals", where={"status": ["achieved"]})] == ["G4"]
    goal = reader.list_records("goals", where={"id": "G1"})[0]
    assert next(iter(goal)) == "id"
    assert goal["smart"]["time_bound"] == "2027"
    assert reader.list_records("priorities", where={"person": "P1"})[0]["ranking"] == [
        "G2",
        "G3",
        "G4",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"where": {"title; DROP TABLE goals": 1}}, "has no field"),
        ({"order_by": "nope"}, "cannot sort"),
    ],
)
def test_list_records_rejects_unknown_columns(
    reader: MirrorReader, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        reader.list_records("goals", **kwargs)  # type: ignore[arg-type]


def test_unknown_collection(reader: MirrorReader) -> None:
    with pytest.raises(QueryError, match="unknown collection"):
        reader.list_records("nope")


def test_get_and_resolve(reader: MirrorReader) -> None:
    assert reader.get("nope") is None
    assert reader.resolve("G") == [("goals", f"G{i}") for i in range(1, 6)]
    assert reader.resolve("CI") == [("checkins", f"CI{i}") for i in range(1, 6)]
    assert reader.resolve("ci5") == [("checkins", "CI5")]
    assert reader.resolve("ZZ") == []
    assert reader.children("G2")[0]["id"] == "G3"
    assert reader.state() == "state-1"


def test_alignment_view_keeps_goals_on_a_parent_loop(tmp_path: Path) -> None:
    """A loop can only come from a merge; each goal on it is a root, as in the model."""

    def goal(goal_id: str, parent: str | None) -> Record:
        return Record("goals", goal_id, {"title": goal_id, "level": "team", "parent": parent})

    records = [goal("A", "B"), goal("B", "A"), goal("C", "A"), goal("D", None), goal("E", "D")]
    with Mirror.open(tmp_path / "mirror.db") as mirror:
        mirror.rebuild(records, "state-1")
    with MirrorReader(tmp_path / "mirror.db") as looped:
        rows = [(r["id"], r["depth"], r["path"]) for r in looped.view("alignment")]
    assert rows == [
        ("A", 0, "A"),
        ("C", 1, "A / C"),
        ("B", 0, "B"),
        ("D", 0, "D"),
        ("E", 1, "D / E"),
    ]
