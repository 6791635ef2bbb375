"""Latest check-ins in one pass, and compute_progress with current values given."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from goaltui.model.records import Record
from goaltui.model.rollup import (
    checkin_order,
    compute_progress,
    current_values,
    latest_checkins,
    latest_checkins_and_values,
)

_AT = st.sampled_from(
    [
        "2027-03-01T00:00:00Z",
        "2027-03-01T00:00:00.500Z",  # as a JS client writes it
        "2027-03-01T02:00:00+02:00",  # the same instant as the first
        "2027-02-30T00:00:00Z",  # impossible: sorts oldest
        "garbage",
        None,
        7,
    ]
)
_VALUE = st.one_of(
    st.none(), st.just(True), st.just("12"), st.just(float("nan")), st.integers(-5, 5)
)
_CHECKIN = st.builds(
    lambda i, kpi, at, value: Record(
        "checkins", f"C{i}", {k: v for k, v in (("kpi", kpi), ("at", at), ("value", value)) if v}
    ),
    st.integers(0, 30),
    st.sampled_from(["K1", "K2", None, 3]),
    _AT,
    _VALUE,
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_CHECKIN, max_size=12, unique_by=lambda c: c.id))
def test_one_pass_equals_the_separate_functions(checkins: list[Record]) -> None:
    latest, valued = latest_checkins_and_values(checkins)
    assert latest == latest_checkins(checkins)
    assert {k: float(c["value"]) for k, c in valued.items()} == current_values(checkins)
    for kpi, record in latest.items():
        same_kpi = [c for c in checkins if c.get("kpi") == kpi]
        assert checkin_order(record) == max(checkin_order(c) for c in same_kpi)


def test_compute_progress_with_values_given_equals_reading_checkins() -> None:
    goals = [Record("goals", "G", {"title": "G"})]
    kpis = [
        Record("kpis", "K1", {"goal": "G", "name": "a", "baseline": 0.0, "target": 10.0}),
        Record("kpis", "K2", {"goal": "G", "name": "b", "target": 4.0, "weight": 3.0}),
    ]
    checkins = [
        Record("checkins", "C1", {"kpi": "K1", "at": "2027-03-01T00:00:00Z", "value": 5.0}),
        Record("checkins", "C2", {"kpi": "K1", "at": "2027-03-02T00:00:00Z", "value": 8.0}),
        Record("checkins", "C3", {"kpi": "K2", "at": "2027-03-01T00:00:00Z", "value": 1.0}),
    ]
    expected = compute_progress(goals, kpis, checkins)
    assert expected == {"K1": 0.8, "K2": 0.25, "G": (0.8 + 3 * 0.25) / 4}
    given_values = compute_progress(goals, kpis, (), values=current_values(checkins))
    assert given_values == expected
