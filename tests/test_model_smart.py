"""The SMART check: each criterion met and not met, with its reason."""

from __future__ import annotations

from typing import Any

from goaltui.model.records import Record
from goaltui.model.schema import SMART_CRITERIA
from goaltui.model.smart import smart_check


def goal(**data: Any) -> Record:
    data.setdefault("title", "Grow")
    return Record("goals", "g1", data)


def kpi(ident: str = "k1", **data: Any) -> Record:
    data.setdefault("goal", "g1")
    data.setdefault("name", "Revenue")
    return Record("kpis", ident, data)


FULL_KPI = kpi(baseline=1.0, target=2.0)


def test_a_complete_goal_meets_every_criterion() -> None:
    check = smart_check(
        goal(title="Grow European revenue", level="strategic", due="2027-06-30"), [FULL_KPI]
    )
    assert list(check.criteria) == list(SMART_CRITERIA)
    assert check.met
    assert check.missing == []
    assert check.letters == "SMART"


def test_a_bare_goal_misses_everything_and_says_why() -> None:
    check = smart_check(goal(), [])
    assert not check.met
    assert check.missing == list(SMART_CRITERIA)
    assert check.letters == "-----"
    reasons = {name: c.reason for name, c in check.criteria.items()}
    assert reasons == {
        "specific": "title has 1 word and there is no description",
        "measurable": "no KPI",
        "achievable": "no KPI with both a baseline and a target, and none stated",
        "relevant": "no parent goal and not strategic",
        "time_bound": "no due date and no cycle with an end date",
    }


def test_specific_by_title_words_or_description() -> None:
    assert smart_check(goal(title="Grow EU revenue"), []).criteria["specific"].met
    two = smart_check(goal(title="Grow revenue"), []).criteria["specific"]
    assert not two.met and two.reason == "title has 2 words and there is no description"
    described = smart_check(goal(title="Grow", description="In the EU, by 20%"), [])
    assert described.criteria["specific"].reason == "has a description"
    blank = smart_check(goal(title="Grow", description="   "), [])
    assert not blank.criteria["specific"].met


def test_measurable_needs_a_kpi_with_a_target() -> None:
    no_target = smart_check(goal(), [kpi(baseline=3.0)]).criteria["measurable"]
    assert not no_target.met and no_target.reason == "no KPI with a target"
    with_target = smart_check(goal(), [kpi("k1"), kpi("k2", name="NPS", target=0.0)])
    assert with_target.criteria["measurable"].met
    assert with_target.criteria["measurable"].reason == "KPI 'NPS' has a target"


def test_achievable_needs_a_target_set_against_a_baseline() -> None:
    only_target = smart_check(goal(), [kpi(target=5.0)]).criteria["achievable"]
    assert not only_target.met
    met = smart_check(goal(), [FULL_KPI]).criteria["achievable"]
    assert met.met and met.reason == "KPI 'Revenue' sets its target against a baseline"


def test_relevant_by_parent_or_strategic_level() -> None:
    assert smart_check(goal(parent="g0"), []).criteria["relevant"].reason == (
        "supports a parent goal"
    )
    assert smart_check(goal(level="strategic"), []).criteria["relevant"].met
    team = smart_check(goal(level="team"), []).criteria["relevant"]
    assert not team.met


def test_time_bound_by_due_date_or_cycle_end() -> None:
    assert smart_check(goal(due="2027-06-30"), []).criteria["time_bound"].reason == (
        "due 2027-06-30"
    )
    ended = Record("cycles", "c1", {"name": "Q2", "end": "2027-06-30"})
    cycle_end = smart_check(goal(), [], cycle=ended).criteria["time_bound"]
    assert cycle_end.met and cycle_end.reason == "cycle ends 2027-06-30"
    open_cycle = Record("cycles", "c1", {"name": "Q2"})
    no_end = smart_check(goal(), [], cycle=open_cycle).criteria["time_bound"]
    assert not no_end.met and no_end.reason == "no due date and the cycle has no end date"


def test_stated_criteria_count_except_time_bound() -> None:
    smart = {
        "specific": "Sell in Spain",
        "measurable": "orders per week",
        "achievable": "we did it in France",
        "relevant": "board priority\nsecond line ignored",
        "time_bound": "soon",
    }
    check = smart_check(goal(smart=smart), [])
    assert check.missing == ["time_bound"]
    assert check.criteria["relevant"].reason == "stated: board priority"
    assert check.criteria["specific"].reason == "stated: Sell in Spain"


def test_long_statements_are_shortened_in_the_reason() -> None:
    check = smart_check(goal(smart={"specific": "x" * 100}), [])
    reason = check.criteria["specific"].reason
    assert reason.startswith("stated: xxx") and reason.endswith("…")
    assert len(reason) == len("stated: ") + 60


def test_archived_kpis_do_not_count() -> None:
    check = smart_check(goal(), [kpi(baseline=1.0, target=2.0, archived=True)])
    assert check.missing[:3] == ["specific", "measurable", "achievable"]
