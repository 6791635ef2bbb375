"""Progress roll-up over a whole workspace: weights, directions, clamping, loops, properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goaltui.model.records import Record
from goaltui.model.rollup import compute_progress


def goal(ident: str, parent: str | None = None, **data: Any) -> Record:
    return Record("goals", ident, {"title": ident, "parent": parent, **data})


def kpi(
    ident: str, goal_id: str, baseline: float | None, target: float | None, **data: Any
) -> Record:
    return Record(
        "kpis",
        ident,
        {"goal": goal_id, "name": ident, "baseline": baseline, "target": target, **data},
    )


def value(ident: str, kpi_id: str, v: float, at: str = "2027-03-01T00:00:00Z") -> Record:
    return Record("checkins", ident, {"kpi": kpi_id, "at": at, "value": v})


def test_weighted_roll_up_through_two_levels() -> None:
    goals = [goal("top"), goal("mid", "top"), goal("leaf", "mid")]
    kpis = [
        kpi("up", "leaf", 0.0, 100.0, weight=3.0),  # 50/100 → 0.5, weight 3
        kpi("down", "leaf", 10.0, 2.0, direction="decrease"),  # 10→6 of 10→2 → 0.5
        kpi("keep", "mid", None, 99.0, direction="maintain"),  # 99.5 ≥ 99 → 1
        kpi("over", "top", 0.0, 10.0),  # 15 → clamped to 1
        kpi("under", "top", 0.0, 10.0, weight=0.5),  # -5 → clamped to 0
    ]
    checkins = [
        value("c1", "up", 50.0),
        value("c2", "down", 6.0),
        value("c3", "keep", 99.5),
        value("c4", "over", 15.0),
        value("c5", "under", -5.0),
    ]
    got = compute_progress(goals, kpis, checkins)
    assert got["up"] == pytest.approx(0.5)
    assert got["down"] == pytest.approx(0.5)
    assert got["keep"] == 1.0
    assert got["over"] == 1.0
    assert got["under"] == 0.0
    assert got["leaf"] == pytest.approx(0.5)  # (0.5*3 + 0.5*1) / 4
    assert got["mid"] == pytest.approx(0.75)  # (1 + leaf 0.5) / 2
    assert got["top"] == pytest.approx((1.0 + 0.0 * 0.5 + 0.75) / 2.5)


def test_maintain_below_target_and_decrease_overshoot() -> None:
    kpis = [
        kpi("keep", "g", None, 99.0, direction="maintain"),
        kpi("down", "g", 10.0, 2.0, direction="decrease"),
    ]
    got = compute_progress([goal("g")], kpis, [value("c1", "keep", 98.0), value("c2", "down", 1.0)])
    assert got["keep"] == 0.0
    assert got["down"] == 1.0
    assert got["g"] == pytest.approx(0.5)


def test_latest_checkin_by_time_is_the_current_value() -> None:
    checkins = [
        value("c2", "k", 2.0, at="2027-03-02T00:00:00Z"),
        value("c1", "k", 8.0, at="2027-03-03T00:00:00Z"),
    ]
    got = compute_progress([goal("g")], [kpi("k", "g", 0.0, 10.0)], checkins)
    assert got["k"] == pytest.approx(0.8)


def test_nothing_measured_is_none_and_does_not_dilute() -> None:
    goals = [goal("top"), goal("empty", "top"), goal("measured", "top")]
    kpis = [kpi("a", "measured", 0.0, 4.0), kpi("no_target", "measured", 0.0, None)]
    got = compute_progress(goals, kpis, [value("c", "a", 1.0), value("d", "no_target", 3.0)])
    assert got["empty"] is None
    assert got["no_target"] is None
    assert got["measured"] == pytest.approx(0.25)
    assert got["top"] == pytest.approx(0.25)


def test_zero_weight_kpi_is_left_out() -> None:
    kpis = [kpi("a", "g", 0.0, 1.0, weight=0.0), kpi("b", "g", 0.0, 1.0)]
    got = compute_progress([goal("g")], kpis, [value("c", "a", 1.0), value("d", "b", 0.0)])
    assert got["g"] == 0.0


def test_archived_records_are_ignored() -> None:
    goals = [goal("top"), goal("gone", "top", archived=True), goal("child", "gone")]
    kpis = [
        kpi("k_gone", "gone", 0.0, 1.0),
        kpi("k_child", "child", 0.0, 1.0),
        kpi("k_arch", "top", 0.0, 1.0, archived=True),
    ]
    checkins = [value("a", "k_gone", 1.0), value("b", "k_child", 1.0), value("c", "k_arch", 0.0)]
    got = compute_progress(goals, kpis, checkins)
    assert "gone" not in got and "k_arch" not in got
    assert got["child"] == 1.0  # a root now that its parent is archived
    assert got["top"] is None  # neither the archived child nor the archived KPI counts


def test_parent_loops_are_broken_whatever_the_order() -> None:
    goals = [goal("a", "c"), goal("b", "a"), goal("c", "b"), goal("tail", "a")]
    kpis = [kpi("ka", "a", 0.0, 1.0), kpi("kt", "tail", 0.0, 1.0)]
    checkins = [value("1", "ka", 0.0), value("2", "kt", 1.0)]
    first = compute_progress(goals, kpis, checkins)
    second = compute_progress(list(reversed(goals)), kpis, checkins)
    assert first == second
    assert first["a"] == pytest.approx(0.5)  # its own KPI and its child "tail"
    assert first["b"] is None and first["c"] is None
    assert first["tail"] == 1.0


def test_self_parent_and_missing_parent_are_roots() -> None:
    got = compute_progress(
        [goal("me", "me"), goal("lost", "nowhere")],
        [kpi("k1", "me", 0.0, 2.0), kpi("k2", "lost", 0.0, 2.0)],
        [value("1", "k1", 1.0), value("2", "k2", 2.0)],
    )
    assert got["me"] == pytest.approx(0.5)
    assert got["lost"] == 1.0


def test_bad_stored_values_do_not_break_the_roll_up() -> None:
    bad_baseline: Any = "zero"
    kpis = [kpi("k", "g", bad_baseline, float("inf")), kpi("w", "g", 0.0, 1.0, weight="heavy")]
    got = compute_progress([goal("g")], kpis, [value("1", "k", 1.0), value("2", "w", 1.0)])
    assert got["k"] is None
    assert got["w"] == 1.0
    assert got["g"] == 1.0


def test_extreme_values_do_not_overflow_into_wrong_progress() -> None:
    kpis = [
        kpi("wide", "g", -1e308, 1e308),
        kpi("wide_down", "g", 1e308, -1e308, direction="decrease"),
        kpi("half", "g", -1e308, 1e308),
    ]
    checkins = [value("1", "wide", 1e308), value("2", "wide_down", -1e308), value("3", "half", 0.0)]
    got = compute_progress([goal("g")], kpis, checkins)
    assert got["wide"] == 1.0
    assert got["wide_down"] == 1.0
    assert got["half"] == pytest.approx(0.5)
    heavy = [kpi("a", "h", 0.0, 1.0, weight=1e308), kpi("b", "h", 0.0, 1.0, weight=1e308)]
    got = compute_progress([goal("h")], heavy, [value("1", "a", 1.0), value("2", "b", 0.0)])
    assert got["h"] == pytest.approx(0.5)


def test_a_deep_chain_does_not_recurse() -> None:
    n = 5000
    goals = [goal(f"g{i}", f"g{i - 1}" if i else None) for i in range(n)]
    got = compute_progress(goals, [kpi("k", f"g{n - 1}", 0.0, 4.0)], [value("c", "k", 1.0)])
    assert got["g0"] == pytest.approx(0.25)


# ---------------------------------------------------------------- properties

finite = st.one_of(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.floats(allow_nan=False, allow_infinity=False),
)
directions = st.sampled_from(["increase", "decrease", "maintain", None])
weights = st.one_of(
    st.none(),
    st.floats(min_value=0, max_value=1e6),
    st.floats(min_value=0, allow_nan=False, allow_infinity=False),
)


@st.composite
def workspaces(
    draw: st.DrawFn, reached: bool = False
) -> tuple[list[Record], list[Record], list[Record]]:
    n_goals = draw(st.integers(min_value=1, max_value=8))
    goals = []
    for i in range(n_goals):
        parent = draw(st.one_of(st.none(), st.integers(0, n_goals - 1)))
        archived = False if reached else draw(st.booleans())
        goals.append(goal(f"g{i}", None if parent is None else f"g{parent}", archived=archived))
    kpis, checkins = [], []
    for j in range(draw(st.integers(min_value=0, max_value=10))):
        owner = f"g{draw(st.integers(0, n_goals - 1))}"
        baseline = draw(st.one_of(st.none(), finite))
        target = draw(finite) if reached else draw(st.one_of(st.none(), finite))
        direction = draw(directions)
        kpis.append(
            kpi(f"k{j}", owner, baseline, target, direction=direction, weight=draw(weights))
        )
        if reached:
            assert target is not None
            checkins.append(value(f"c{j}", f"k{j}", target))
        elif draw(st.booleans()):
            checkins.append(value(f"c{j}", f"k{j}", draw(finite)))
    return goals, kpis, checkins


@settings(max_examples=60, deadline=None)
@given(workspaces())
def test_progress_is_always_within_0_and_1_or_none(
    ws: tuple[list[Record], list[Record], list[Record]],
) -> None:
    for progress in compute_progress(*ws).values():
        assert progress is None or 0.0 <= progress <= 1.0


@settings(max_examples=60, deadline=None)
@given(workspaces(reached=True))
def test_goals_whose_kpis_all_reached_target_are_complete(
    ws: tuple[list[Record], list[Record], list[Record]],
) -> None:
    goals, kpis, checkins = ws
    got = compute_progress(goals, kpis, checkins)
    for k in kpis:
        assert got[k.id] == 1.0
    for g in goals:
        assert got[g.id] in (None, 1.0)
        if any(k["goal"] == g.id and (k["weight"] is None or k["weight"] > 0) for k in kpis):
            assert got[g.id] == 1.0
