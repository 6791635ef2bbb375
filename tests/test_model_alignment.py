"""Goal warnings (every code both ways), cadences, latest check-ins and objections."""

from __future__ import annotations

from typing import Any

import pytest

from goaltui.model.alignment import (
    WARNING_CODES,
    GoalWarning,
    all_goal_warnings,
    cadence_days,
    goal_warnings,
    open_objections,
)
from goaltui.model.records import Record
from goaltui.model.rollup import current_values, kpi_current_value, latest_checkins

TODAY = "2027-03-31"
WEEKLY = Record("cycles", "c1", {"name": "Q1", "cadence": "weekly", "end": "2027-06-30"})


def goal(ident: str = "g1", **data: Any) -> Record:
    base = {
        "title": "Grow European revenue",
        "level": "strategic",
        "status": "active",
        "due": "2027-06-30",
    }
    return Record("goals", ident, {**base, **data})


def kpi(ident: str = "k1", **data: Any) -> Record:
    base = {"goal": "g1", "name": "Revenue", "baseline": 0.0, "target": 10.0}
    return Record("kpis", ident, {**base, **data})


def checkin(ident: str, kpi_id: str, at: str | None, value: float | None = 1.0) -> Record:
    return Record("checkins", ident, {"kpi": kpi_id, "at": at, "value": value})


def warnings(g: Record, **kw: Any) -> dict[str, str]:
    args: dict[str, Any] = {
        "kpis": [kpi()],
        "parent": None,
        "children": [],
        "latest_checkin_at": {"k1": "2027-03-30T09:00:00Z"},
        "cycle": WEEKLY,
        "objections": 0,
        "today": TODAY,
    }
    args.update(kw)
    found = goal_warnings(g, **args)
    assert [w.code for w in found] == [c for c in WARNING_CODES if c in {w.code for w in found}]
    return {w.code: w.message for w in found}


def test_a_healthy_goal_has_no_warnings() -> None:
    assert warnings(goal()) == {}


def test_orphan_team_or_individual_goal() -> None:
    assert warnings(goal(level="team"))["orphan"] == "team goal without a parent goal"
    assert "orphan" in warnings(goal(level="individual"))
    dangling = warnings(goal(level="team", parent="gone"))
    assert dangling["orphan"] == "parent goal 'gone' is missing or archived"
    archived_parent = goal("g0", archived=True)
    assert "orphan" in warnings(goal(level="team", parent="g0"), parent=archived_parent)
    assert "orphan" not in warnings(goal(level="team", parent="g0"), parent=goal("g0"))
    assert "orphan" not in warnings(goal(level="strategic"))


def test_no_kpi_unless_kpis_or_child_goals_measure_it() -> None:
    assert warnings(goal(), kpis=[])["no_kpi"] == "no KPI or child goal measures its progress"
    assert "no_kpi" in warnings(goal(), kpis=[kpi(archived=True)])
    assert "no_kpi" not in warnings(goal(), kpis=[], children=[goal("g2", parent="g1")])
    assert "no_kpi" in warnings(goal(), kpis=[], children=[goal("g2", archived=True)])


def test_not_smart_lists_missing_criteria_with_reasons() -> None:
    message = warnings(goal(title="Grow"))["not_smart"]
    assert message == "not SMART — specific: title has 1 word and there is no description"
    undated = warnings(goal(due=None), cycle=None)["not_smart"]
    assert "time_bound: no due date" in undated
    assert "not_smart" not in warnings(goal(due=None))  # the cycle's end makes it time-bound


def test_due_after_parent() -> None:
    parent = goal("g0", due="2027-05-31")
    got = warnings(goal(parent="g0", level="team"), parent=parent)
    assert got["due_after_parent"] == "due 2027-06-30 is after its parent's due date 2027-05-31"
    ok = warnings(goal(parent="g0", level="team", due="2027-05-31"), parent=parent)
    assert "due_after_parent" not in ok
    assert "due_after_parent" not in warnings(goal(parent="g0"), parent=goal("g0", due=None))


@pytest.mark.parametrize("status", ["active", "draft", "proposed", None])
def test_overdue_while_open(status: str | None) -> None:
    got = warnings(goal(due="2027-03-01", status=status))
    assert got["overdue"] == "was due 2027-03-01 (30 days ago)"


@pytest.mark.parametrize("status", ["achieved", "missed", "dropped"])
def test_not_overdue_when_closed(status: str) -> None:
    assert "overdue" not in warnings(goal(due="2027-03-01", status=status))


def test_not_overdue_on_the_due_date() -> None:
    assert "overdue" not in warnings(goal(due=TODAY))
    assert warnings(goal(due="2027-03-30"))["overdue"] == "was due 2027-03-30 (1 day ago)"


def test_stale_checkin_older_than_the_cadence() -> None:
    fresh = {"k1": "2027-03-24T09:00:00Z"}  # 7 days: on time for weekly
    assert "stale_checkin" not in warnings(goal(), latest_checkin_at=fresh)
    old = {"k1": "2027-03-23T09:00:00Z"}  # 8 days
    message = warnings(goal(), latest_checkin_at=old)["stale_checkin"]
    assert (
        message == "'Revenue' last checked in 8 days ago; check-ins expected weekly (every 7 days)"
    )
    # default cadence (no cycle): 14 days
    assert "stale_checkin" not in warnings(goal(), latest_checkin_at=old, cycle=None)
    older = {"k1": "2027-03-16T09:00:00Z"}  # 15 days
    got = warnings(goal(), latest_checkin_at=older, cycle=None)["stale_checkin"]
    assert got.endswith("check-ins expected every 14 days")


def test_stale_checkin_never_checked_in_only_while_active() -> None:
    got = warnings(goal(), latest_checkin_at={})["stale_checkin"]
    assert got == "'Revenue' never checked in; check-ins expected weekly (every 7 days)"
    assert "stale_checkin" not in warnings(goal(status="draft"), latest_checkin_at={})
    # a KPI created within the cadence is not stale yet
    new_kpi = kpi(created_at="2027-03-28T10:00:00Z")
    assert "stale_checkin" not in warnings(goal(), kpis=[new_kpi], latest_checkin_at={})
    old_kpi = kpi(created_at="2027-03-01T10:00:00Z")
    assert "stale_checkin" in warnings(goal(), kpis=[old_kpi], latest_checkin_at={})


def test_stale_checkin_is_one_warning_naming_each_kpi_and_skips_closed_goals() -> None:
    kpis = [kpi("k1"), kpi("k2", name="NPS"), kpi("k3", name="Old", archived=True)]
    latest = {"k1": "2027-01-01T00:00:00Z"}
    got = warnings(goal(), kpis=kpis, latest_checkin_at=latest)["stale_checkin"]
    assert got == (
        "'Revenue' last checked in 89 days ago; 'NPS' never checked in; "
        "check-ins expected weekly (every 7 days)"
    )
    assert "stale_checkin" not in warnings(goal(status="achieved"), latest_checkin_at=latest)


def test_objection_open() -> None:
    assert warnings(goal(), objections=1)["objection_open"] == "1 open objection"
    assert warnings(goal(), objections=3)["objection_open"] == "3 open objections"
    assert "objection_open" not in warnings(goal(), objections=0)


def test_archived_goal_has_no_warnings() -> None:
    assert warnings(goal(title="x", level="team", due="2000-01-01", archived=True)) == {}


def test_today_defaults_to_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOALTUI_NOW", "2027-03-31T12:00:00Z")
    args: dict[str, Any] = {
        "kpis": [kpi()],
        "parent": None,
        "children": [],
        "latest_checkin_at": {"k1": "2027-03-30T00:00:00Z"},
        "cycle": WEEKLY,
        "objections": 0,
    }
    found = goal_warnings(goal(due="2027-03-30"), **args)
    assert found == [GoalWarning("overdue", "was due 2027-03-30 (1 day ago)")]


@pytest.mark.parametrize(
    ("cadence", "days"),
    [("weekly", 7), ("biweekly", 14), ("monthly", 31), ("quarterly", 92), (None, 14), ("x", 14)],
)
def test_cadence_days(cadence: str | None, days: int) -> None:
    assert cadence_days(cadence) == days


def test_latest_checkins_by_time_then_id() -> None:
    checkins = [
        checkin("01B", "k1", "2027-03-01T10:00:00Z"),
        checkin("01A", "k1", "2027-03-01T12:00:00+02:00"),  # same instant as 01B
        checkin("01C", "k1", "2027-02-01T00:00:00Z"),
        checkin("01D", "k2", None),
        Record("checkins", "01E", {"goal": "g1", "at": "2030-01-01T00:00:00Z"}),
    ]
    latest = latest_checkins(checkins)
    assert {k: c.id for k, c in latest.items()} == {"k1": "01B", "k2": "01D"}
    assert {k: c.id for k, c in latest_checkins(reversed(checkins)).items()} == {
        "k1": "01B",
        "k2": "01D",
    }


def test_current_value_is_the_latest_checkin_that_has_a_value() -> None:
    checkins = [
        checkin("01", "k1", "2027-03-01T00:00:00Z", 4.0),
        checkin("02", "k1", "2027-03-02T00:00:00Z", 5.0),
        checkin("03", "k1", "2027-03-03T00:00:00Z", None),  # confidence-only check-in
        checkin("04", "k2", "2027-03-03T00:00:00Z", 7),
        Record("checkins", "05", {"kpi": "k2", "at": "2027-03-04T00:00:00Z", "value": True}),
    ]
    assert current_values(checkins) == {"k1": 5.0, "k2": 7.0}
    assert kpi_current_value(kpi("k1"), checkins) == 5.0
    assert kpi_current_value(kpi("k9"), checkins) is None


def test_open_objections_count_only_each_persons_latest_decision() -> None:
    def agreement(ident: str, person: str, decision: str, at: str, g: str = "g1") -> Record:
        data = {"goal": g, "person": person, "decision": decision, "at": at}
        return Record("agreements", ident, data)

    agreements = [
        agreement("1", "ana", "object", "2027-03-01T00:00:00Z"),
        agreement("2", "ana", "agree", "2027-03-02T00:00:00Z"),
        agreement("3", "bo", "agree", "2027-03-01T00:00:00Z"),
        agreement("4", "bo", "object", "2027-03-05T00:00:00Z"),
        agreement("5", "cy", "object", "2027-03-05T00:00:00Z"),
        agreement("6", "ana", "object", "2027-03-01T00:00:00Z", g="g2"),
    ]
    assert open_objections(agreements) == {"g1": ["bo", "cy"], "g2": ["ana"]}


def test_all_goal_warnings_builds_each_goals_inputs() -> None:
    goals = [
        goal("g1", due="2027-05-31"),
        goal("g2", level="team", parent="g1"),  # due after its parent
        goal("g3", level="team", title="Tiny"),  # orphan, not SMART, no KPI
    ]
    kpis = [kpi("k1"), kpi("k2", goal="g2")]
    checkins = [
        checkin("c1", "k1", "2027-03-30T00:00:00Z"),
        checkin("c2", "k2", "2027-03-01T00:00:00Z"),
    ]
    agreements = [Record("agreements", "a1", {"goal": "g1", "person": "p", "decision": "object"})]
    result = all_goal_warnings(
        goals, kpis=kpis, checkins=checkins, cycles=[], agreements=agreements, today=TODAY
    )
    codes = {gid: [w.code for w in found] for gid, found in result.items()}
    assert codes == {
        "g1": ["objection_open"],
        "g2": ["due_after_parent", "stale_checkin"],
        "g3": ["orphan", "no_kpi", "not_smart"],
    }


def test_a_goal_on_a_parent_loop_is_warned_and_not_called_an_orphan() -> None:
    found = warnings(goal(level="team", parent="g0"), parent=goal("g0"), on_loop=True)
    assert "moves merged" in found["parent_loop"]
    assert "orphan" not in found and "due_after_parent" not in found
    a = goal("a", parent="b")
    b = goal("b", parent="a")
    below = goal("c", parent="a")
    every = all_goal_warnings(
        [a, b, below], kpis=[], checkins=[], cycles=[], agreements=[], today=TODAY
    )
    assert {gid for gid, ws in every.items() if any(w.code == "parent_loop" for w in ws)} == {
        "a",
        "b",
    }  # the goal hanging below the loop is not on it
