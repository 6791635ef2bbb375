"""The demo workspace tells its whole story, and the story survives closing and reopening."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from goaltui.demo import build_demo
from goaltui.errors import WorkspaceExists
from goaltui.model import Record
from goaltui.model.alignment import all_goal_warnings, open_objections
from goaltui.model.clock import pinned
from goaltui.model.schema import COLLECTIONS, FEEDBACK_KINDS, ROLES
from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace

TODAY = "2026-11-27"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def _snapshot(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {f"{r.collection}/{r.id}": r.to_json() for r in ws.all_records()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[WorkspacePaths, dict[str, str], Any]:
    """Build the demo once (clock pinned to the story's today), then close it."""
    paths = WorkspacePaths(Path(tmp_path_factory.mktemp("data")), "demo")
    with pinned(NOW):
        ws = Workspace.create(paths)
        try:
            ids = build_demo(ws)
            before = _snapshot(ws)
        finally:
            ws.close()
    return paths, ids, before


@pytest.fixture(scope="module")
def ws(built: tuple[WorkspacePaths, dict[str, str], Any]) -> Iterator[Workspace]:
    """The demo workspace as reopened from disk: every test reads what was persisted."""
    with pinned(NOW):
        workspace = Workspace.open(built[0])
    try:
        yield workspace
    finally:
        workspace.close()


@pytest.fixture(scope="module")
def ids(built: tuple[WorkspacePaths, dict[str, str], Any]) -> dict[str, str]:
    return built[1]


def _by_key(ws: Workspace, ids: dict[str, str], key: str) -> Record:
    return ws.get(ids[key])


def test_reopening_gives_the_same_records(
    built: tuple[WorkspacePaths, dict[str, str], Any], ws: Workspace
) -> None:
    before = built[2]
    assert _snapshot(ws) == before
    assert len(before) > 150
    assert ws.problems == []
    assert ws.me == built[1]["person.alice"]


def test_refuses_a_workspace_that_is_not_empty(ws: Workspace) -> None:
    before = len(ws.records("goals"))
    with pytest.raises(WorkspaceExists, match="already has people or goals"):
        build_demo(ws)
    assert len(ws.records("goals")) == before


def test_every_collection_is_populated(ws: Workspace) -> None:
    counts = {name: len(ws.records(name)) for name in COLLECTIONS}
    assert all(counts.values()), counts
    assert counts["values"] == 4
    assert counts["teams"] == 4
    assert 8 <= counts["people"] <= 10
    assert counts["cycles"] == 2
    assert 12 <= counts["goals"] <= 15
    assert counts["priorities"] == 3
    strategy = ws.strategy()
    assert "renewable" in strategy["vision"]
    assert strategy["mission"]


def test_organisation_teams_people_and_me(ws: Workspace, ids: dict[str, str]) -> None:
    teams = {t.id: t for t in ws.records("teams")}
    leadership = ids["team.leadership"]
    assert all(t.parent == leadership for t in teams.values() if t.id != leadership)
    assert all(t.lead for t in teams.values())
    people = ws.records("people")
    assert len({p.handle for p in people}) == len(people)
    assert all(p.team in teams for p in people)
    me = ws.me
    assert me == ids["person.alice"]
    assert teams[ids["team.product"]].lead == me


def test_goals_span_three_aligned_levels(ws: Workspace) -> None:
    goals = {g.id: g for g in ws.records("goals")}
    assert Counter(g.level for g in goals.values()).keys() == {"strategic", "team", "individual"}
    for goal in goals.values():
        parent = goals.get(goal.parent) if goal.parent else None
        if goal.level == "individual":
            assert parent is not None and parent.level == "team", goal.title
        elif goal.level == "team" and parent is not None:
            assert parent.level == "strategic", goal.title
    smart = [g for g in goals.values() if g.smart]
    assert len(smart) >= len(goals) - 2
    cycles = {c.name: c.id for c in ws.records("cycles")}
    assert {g.cycle for g in goals.values()} == set(cycles.values())


def test_warnings_show_the_orphan_the_unmeasured_and_the_not_smart_goal(
    ws: Workspace, ids: dict[str, str]
) -> None:
    warnings = all_goal_warnings(
        ws.records("goals"),
        kpis=ws.records("kpis"),
        checkins=ws.records("checkins"),
        cycles=ws.records("cycles"),
        agreements=ws.records("agreements"),
        today=TODAY,
    )
    name = {v: k for k, v in ids.items()}
    found = {(name[goal], w.code) for goal, ws_ in warnings.items() for w in ws_}
    assert found == {
        ("goal.warehouse", "orphan"),
        ("goal.joint_plan", "no_kpi"),
        ("goal.buzz", "not_smart"),
        ("goal.preorders", "objection_open"),
    }
    assert _by_key(ws, ids, "goal.warehouse").level == "team"


def test_kpis_have_weeks_of_varied_check_ins(ws: Workspace) -> None:
    checkins = ws.records("checkins")
    per_kpi: dict[str, list[Record]] = {}
    for checkin in checkins:
        per_kpi.setdefault(checkin.kpi, []).append(checkin)
    kpis = ws.records("kpis")
    assert set(per_kpi) == {k.id for k in kpis}
    for kpi in kpis:
        series = sorted(per_kpi[kpi.id], key=lambda c: c.at)
        assert 4 <= len(series) <= 8, kpi.name
        assert len({c.at[:10] for c in series}) == len(series)
        assert all(c.note and c.author and c.value is not None for c in series)
        assert series[-1].at < TODAY
    assert {c.status for c in checkins} == {"on_track", "at_risk", "off_track"}
    assert len({c.confidence for c in checkins}) >= 5
    directions = {k.direction for k in kpis if k.target is not None}
    assert directions == {"increase", "decrease"}


def test_tasks_have_owners_dependencies_and_one_overdue_one_blocked(
    ws: Workspace, ids: dict[str, str]
) -> None:
    tasks = ws.records("tasks")
    assert all(t.assignee and t.goal and t.due for t in tasks)
    assert any(t.milestone for t in tasks)
    assert sum(t.status == "done" for t in tasks) >= 5
    assert [t.id for t in tasks if t.status == "blocked"] == [ids["task.valves"]]
    overdue = [t.id for t in tasks if t.due < TODAY and t.status != "done"]
    assert overdue == [ids["task.shiftb"]]
    launch = _by_key(ws, ids, "ms.launch")
    assert launch.milestone and set(launch.depends_on) == {ids["ms.rc"], ids["task.presskit"]}


def test_resources_stakeholders_and_risks(ws: Workspace) -> None:
    kinds = {r["kind"] for r in ws.records("resources")}
    assert {"budget", "personnel", "technology"} <= kinds
    stakeholders = ws.records("stakeholders")
    assert {s.role for s in stakeholders} == set(ROLES)
    assert all(s.needs for s in stakeholders)
    assert any(s.goal is None for s in stakeholders)
    for risk in ws.records("risks"):
        assert 1 <= risk.likelihood <= 5 and 1 <= risk.impact <= 5
        assert risk.mitigation and risk.contingency and risk.owner


def test_one_explained_objection(ws: Workspace, ids: dict[str, str]) -> None:
    agreements = ws.records("agreements")
    objections = [a for a in agreements if a.decision == "object"]
    assert len(objections) == 1
    objection = objections[0]
    assert objection.id == ids["agreement.preorders.priya"]
    assert "6,000" in objection.note
    assert open_objections(agreements) == {ids["goal.preorders"]: [ids["person.priya"]]}
    assert sum(a.decision == "agree" for a in agreements) >= 8


def test_three_people_rank_priorities_differently(ws: Workspace, ids: dict[str, str]) -> None:
    priorities = ws.records("priorities")
    assert len({p.person for p in priorities}) == 3
    assert len({tuple(p.ranking) for p in priorities}) == 3
    assert len({p.ranking[0] for p in priorities}) == 3  # even the top choice differs
    assert {p.cycle for p in priorities} == {ids["cycle.q4"]}


def test_feedback_of_every_kind_one_resolved(ws: Workspace) -> None:
    feedback = ws.records("feedback")
    assert {f["kind"] for f in feedback} == set(FEEDBACK_KINDS)
    assert [f["kind"] for f in feedback if f.resolved] == ["concern"]
    assert all(f.target and f.author and f.at < TODAY for f in feedback)


def test_finished_review_of_the_past_cycle(ws: Workspace, ids: dict[str, str]) -> None:
    review = _by_key(ws, ids, "review.q3")
    assert review.cycle == ids["cycle.q3"]
    assert 0 <= review.score <= 1
    assert review.outcome and review.next_steps
    assert "joint" in review.lessons.lower() or "separately" in review.lessons
    past = _by_key(ws, ids, "cycle.q3")
    assert past.end < review.at[:10] < TODAY
