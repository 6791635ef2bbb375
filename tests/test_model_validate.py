"""Field parsing and record validation: every type, refs, loops, one_of, partial updates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goaltui.model import clock
from goaltui.model.schema import COLLECTIONS, Collection, Field, collection
from goaltui.model.validate import (
    Problem,
    ValidationError,
    chain_from,
    check_value,
    parse_field_value,
    validate_record,
    walk_relation,
)

GOALS = collection("goals")
TEAMS = collection("teams")
TASKS = collection("tasks")
CHECKINS = collection("checkins")
CYCLES = collection("cycles")

# A small workspace: collection → id → record
WORLD: dict[str, dict[str, dict[str, Any]]] = {
    "people": {"p1": {"name": "Ana"}},
    "teams": {"t1": {"name": "Eng"}, "t2": {"name": "Web", "parent": "t1"}},
    "cycles": {"c1": {"name": "Q1"}},
    "goals": {
        "g1": {"title": "Top"},
        "g2": {"title": "Mid", "parent": "g1"},
        "g3": {"title": "Low", "parent": "g2"},
    },
    "kpis": {"k1": {"goal": "g1", "name": "Revenue"}},
    "tasks": {
        "a": {"title": "A"},
        "b": {"title": "B", "depends_on": ["a"]},
        "c": {"title": "C", "depends_on": ["b"]},
    },
}


def exists(coll: str, ident: str) -> bool:
    if coll == "*":
        return any(ident in records for records in WORLD.values())
    return ident in WORLD.get(coll, {})


def lookup(coll: str, ident: str) -> dict[str, Any] | None:
    return WORLD.get(coll, {}).get(ident)


CHAIN = chain_from(lookup)


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(clock.ENV_VAR, raising=False)
    with clock.pinned(datetime(2027, 3, 31, 12, tzinfo=timezone.utc)):
        yield


def problems_of(coll: Collection, data: dict[str, Any], **kw: Any) -> dict[str, list[str]]:
    kw.setdefault("exists", exists)
    with pytest.raises(ValidationError) as err:
        validate_record(coll, data, **kw)
    return err.value.by_field()


# ---------------------------------------------------------------- parse_field_value


@pytest.mark.parametrize(
    ("coll", "name", "text", "expected"),
    [
        ("goals", "priority", " 42 ", 42),
        ("goals", "priority", "+7", 7),
        ("kpis", "target", "1.5", 1.5),
        ("kpis", "target", "-3", -3.0),
        ("kpis", "target", "1e3", 1000.0),
        ("goals", "archived", "yes", True),
        ("goals", "archived", "FALSE", False),
        ("goals", "archived", "1", True),
        ("goals", "archived", "off", False),
        ("goals", "due", "2027-04-30", "2027-04-30"),
        ("goals", "due", "+1w", "2027-04-07"),
        ("checkins", "at", "2027-03-31T14:00:00+02:00", "2027-03-31T12:00:00Z"),
        ("checkins", "status", "On-Track", "on_track"),
        ("checkins", "status", "at risk", "at_risk"),
        ("goals", "parent", " g1 ", "g1"),
        ("tasks", "depends_on", "a, b,,c ", ["a", "b", "c"]),
        ("goals", "title", "  Grow revenue  ", "Grow revenue"),
        ("goals", "description", "line one\nline two\n", "line one\nline two"),
        ("goals", "title", "", None),
        ("goals", "title", "-", None),
        ("kpis", "target", "  ", None),
    ],
)
def test_parse_field_value_converts_text(coll: str, name: str, text: str, expected: Any) -> None:
    field = collection(coll).get(name)
    assert field is not None
    value = parse_field_value(field, text)
    assert value == expected
    assert type(value) is type(expected)


def test_parse_smart_statements_allow_semicolons_inside_a_statement() -> None:
    field = GOALS.get("smart")
    assert field is not None
    text = "specific=Grow revenue; in Europe; Measurable: revenue = 2M; time-bound=Q3"
    assert parse_field_value(field, text) == {
        "specific": "Grow revenue; in Europe",
        "measurable": "revenue = 2M",
        "time_bound": "Q3",
    }


@pytest.mark.parametrize(
    ("coll", "name", "text", "fragment"),
    [
        ("goals", "priority", "4.5", "'4.5' is not a whole number"),
        ("goals", "priority", "lots", "is not a whole number"),
        ("goals", "priority", "1001", "must be between 0 and 1000"),
        ("checkins", "confidence", "11", "must be between 0 and 10"),
        ("risks", "likelihood", "0", "must be between 1 and 5"),
        ("risks", "impact", "6", "must be between 1 and 5"),
        ("reviews", "score", "1.5", "must be between 0 and 1"),
        ("kpis", "weight", "-1", "must be at least 0"),
        ("kpis", "target", "abc", "'abc' is not a number"),
        ("kpis", "target", "nan", "finite"),
        ("kpis", "target", "inf", "finite"),
        ("goals", "archived", "maybe", "use true/false, yes/no or 1/0"),
        ("goals", "due", "2027-02-30", "is not a real date; use YYYY-MM-DD"),
        ("checkins", "at", "soon", "is not an instant"),
        ("checkins", "status", "great", "use one of on_track, at_risk, off_track"),
        ("goals", "parent", "two words", "is not a record id"),
        ("tasks", "depends_on", "a,b,a", "lists 'a' twice"),
        ("goals", "smart", "specific", "has no '='"),
        ("goals", "smart", "sexy=yes", "unknown SMART criterion 'sexy'"),
        ("goals", "title", "a\x1b[31mred", "control character (U+001B)"),
    ],
)
def test_parse_field_value_rejects_with_a_clear_message(
    coll: str, name: str, text: str, fragment: str
) -> None:
    field = collection(coll).get(name)
    assert field is not None
    with pytest.raises(ValidationError) as err:
        parse_field_value(field, text)
    (problem,) = err.value.problems
    assert problem.field == name
    assert fragment in problem.message


# ---------------------------------------------------------------- check_value (API values)


@pytest.mark.parametrize(
    ("coll", "name", "value", "expected"),
    [
        ("goals", "priority", 3.0, 3),
        ("kpis", "target", 3, 3.0),
        ("goals", "due", date(2027, 5, 1), "2027-05-01"),
        ("checkins", "at", datetime(2027, 5, 1, 9, tzinfo=timezone.utc), "2027-05-01T09:00:00Z"),
        ("tasks", "depends_on", ("a", "b"), ["a", "b"]),
        ("tasks", "depends_on", [], []),
        (
            "goals",
            "smart",
            {"Specific": " x ", "relevant": None, "time-bound": ""},
            {"specific": "x"},
        ),
        ("goals", "smart", {"measurable": "  "}, None),
        ("goals", "title", "tab\tinside", "tab\tinside"),
        ("goals", "description", "a\r\nb", "a\nb"),
    ],
)
def test_check_value_normalises(coll: str, name: str, value: Any, expected: Any) -> None:
    field = collection(coll).get(name)
    assert field is not None
    assert check_value(field, value) == expected


@pytest.mark.parametrize(
    ("coll", "name", "value", "fragment"),
    [
        ("goals", "priority", True, "whole number, not true/false"),
        ("goals", "priority", 2.5, "whole number"),
        ("goals", "priority", "3", "whole number"),
        ("checkins", "confidence", 2**64, "must fit in 64 bits"),
        ("kpis", "target", False, "must be a number"),
        ("kpis", "target", float("nan"), "finite"),
        ("kpis", "target", 10**400, "too large"),
        ("goals", "archived", 1, "must be true or false"),
        ("goals", "title", 5, "must be text"),
        ("goals", "title", "two\nlines", "single line"),
        ("goals", "title", "x" * 1001, "at most 1000"),
        ("goals", "description", "bell\x07", "control character"),
        ("goals", "description", "c1\x9b[2J", "control character"),
        ("goals", "description", "bad \ud800 surrogate", "lone surrogate"),
        ("goals", "due", 20270331, "must be a date"),
        ("checkins", "at", 0, "must be an instant"),
        ("goals", "level", 1, "must be one of strategic, team, individual"),
        ("goals", "parent", ["g1"], "must be a record id"),
        ("goals", "parent", "  ", "cannot be empty"),
        ("tasks", "depends_on", "a,b", "must be a list"),
        ("goals", "smart", "specific=x", "must map SMART criteria"),
        ("goals", "smart", {"specific": 3}, "specific: must be text"),
    ],
)
def test_check_value_rejects(coll: str, name: str, value: Any, fragment: str) -> None:
    field = collection(coll).get(name)
    assert field is not None
    with pytest.raises(ValidationError) as err:
        check_value(field, value)
    assert err.value.problems[0].field == name
    assert fragment in err.value.problems[0].message


# ---------------------------------------------------------------- validate_record


def test_valid_goal_is_returned_normalised_without_unset_fields() -> None:
    clean = validate_record(
        GOALS,
        {"title": " Grow revenue ", "level": "Team", "parent": "g1", "due": "+1d", "owner": None},
        exists=exists,
    )
    assert clean == {"title": "Grow revenue", "level": "team", "parent": "g1", "due": "2027-04-01"}


def test_every_problem_of_a_record_is_reported_at_once_by_field() -> None:
    with pytest.raises(ValidationError) as err:
        validate_record(
            GOALS,
            {"title": "  ", "colour": "red", "priority": True, "due": "2027-02-30", "owner": "p9"},
            exists=exists,
        )
    fields = [p.field for p in err.value.problems]
    assert fields == ["title", "colour", "priority", "due", "owner"]
    assert str(err.value).startswith("title: is required and cannot be empty; colour: is not a")
    assert "owner: no person with id 'p9'" in str(err.value)


def test_unknown_field_lists_the_known_ones() -> None:
    got = problems_of(GOALS, {"title": "x", "colour": "red"})
    (message,) = got["colour"]
    assert message.startswith("is not a field of a goal; known: title, description, level")


def test_required_fields_are_needed_when_creating_only() -> None:
    assert problems_of(collection("kpis"), {"unit": "%"}) == {
        "goal": ["is required"],
        "name": ["is required"],
    }
    assert validate_record(collection("kpis"), {"unit": "%"}, exists=exists, creating=False) == {
        "unit": "%"
    }


def test_a_required_field_cannot_be_unset_by_an_update() -> None:
    got = problems_of(GOALS, {"title": None}, creating=False)
    assert got == {"title": ["is required and cannot be empty"]}


def test_partial_update_checks_only_given_fields_and_keeps_none_as_unset() -> None:
    clean = validate_record(
        GOALS, {"due": None, "status": "ACTIVE"}, exists=exists, creating=False, record_id="g3"
    )
    assert clean == {"due": None, "status": "active"}


def test_references_must_exist_in_their_collection() -> None:
    assert problems_of(GOALS, {"title": "x", "parent": "p1"}) == {
        "parent": ["no goal with id 'p1'"]
    }
    got = problems_of(TASKS, {"title": "x", "depends_on": ["a", "zz"]})
    assert got == {"depends_on": ["no task with id 'zz'"]}


def test_any_collection_reference_uses_star() -> None:
    asked: list[tuple[str, str]] = []

    def recording(coll: str, ident: str) -> bool:
        asked.append((coll, ident))
        return exists(coll, ident)

    feedback = collection("feedback")
    assert validate_record(feedback, {"text": "hi", "target": "k1"}, exists=recording)
    assert asked == [("*", "k1")]
    got = problems_of(feedback, {"text": "hi", "target": "nope"})
    assert got == {"target": ["no record with id 'nope'"]}


def test_one_of_when_creating() -> None:
    assert problems_of(CHECKINS, {"value": 3}) == {"kpi": ["a checkin needs a kpi or goal"]}
    assert validate_record(CHECKINS, {"goal": "g1", "value": 3}, exists=exists)
    reviews = collection("reviews")
    assert problems_of(reviews, {"score": 0.5}) == {"goal": ["a review needs a goal or cycle"]}


def test_one_of_on_update_sees_the_current_record() -> None:
    current = {"kpi": "k1", "goal": "g1"}
    assert validate_record(
        CHECKINS, {"kpi": None}, exists=exists, creating=False, current=current
    ) == {"kpi": None}
    got = problems_of(CHECKINS, {"kpi": None}, creating=False, current={"kpi": "k1", "value": 2.0})
    assert got == {"kpi": ["a checkin needs a kpi or goal"]}
    # Without the current record, unsetting one of them cannot be judged...
    assert validate_record(CHECKINS, {"kpi": None}, exists=exists, creating=False)
    # ...but unsetting all of them can.
    got = problems_of(CHECKINS, {"kpi": None, "goal": None}, creating=False)
    assert got == {"kpi": ["a checkin needs a kpi or goal"]}


def test_start_must_not_be_after_due_or_end() -> None:
    got = problems_of(GOALS, {"title": "x", "start": "2027-05-01", "due": "2027-04-01"})
    assert got == {"due": ["2027-04-01 is before start 2027-05-01"]}
    got = problems_of(CYCLES, {"name": "Q", "start": "2027-05-01", "end": "2027-04-01"})
    assert got == {"end": ["2027-04-01 is before start 2027-05-01"]}
    assert validate_record(
        GOALS, {"title": "x", "start": "2027-04-01", "due": "2027-04-01"}, exists=exists
    )


def test_date_order_on_update_uses_the_current_record() -> None:
    current = {"title": "x", "start": "2027-03-01", "due": "2027-06-30"}
    got = problems_of(GOALS, {"start": "2027-07-01"}, creating=False, current=current)
    assert got == {"start": ["2027-07-01 is after due 2027-06-30"]}
    got = problems_of(GOALS, {"due": "2027-02-01"}, creating=False, current=current)
    assert got == {"due": ["2027-02-01 is before start 2027-03-01"]}
    assert validate_record(GOALS, {"start": None}, exists=exists, creating=False, current=current)


def test_a_goal_cannot_be_its_own_parent() -> None:
    got = problems_of(GOALS, {"parent": "g1"}, creating=False, record_id="g1")
    assert got == {"parent": ["a goal cannot be its own parent"]}


def test_a_goal_cannot_move_under_its_own_descendant() -> None:
    got = problems_of(GOALS, {"parent": "g3"}, creating=False, record_id="g1", parent_chain=CHAIN)
    assert got == {"parent": ["'g3' already sits under this goal; that would make a loop"]}
    # moving g3 under g1 directly is fine
    assert validate_record(
        GOALS, {"parent": "g1"}, exists=exists, creating=False, record_id="g3", parent_chain=CHAIN
    ) == {"parent": "g1"}


def test_team_loops_are_rejected() -> None:
    got = problems_of(TEAMS, {"parent": "t2"}, creating=False, record_id="t1", parent_chain=CHAIN)
    assert "would make a loop" in got["parent"][0]
    got = problems_of(TEAMS, {"parent": "t1"}, creating=False, record_id="t1")
    assert got == {"parent": ["a team cannot be its own parent"]}


def test_task_dependency_loops_are_rejected() -> None:
    got = problems_of(TASKS, {"depends_on": ["a"]}, creating=False, record_id="a")
    assert got == {"depends_on": ["a task cannot depend on itself"]}
    got = problems_of(
        TASKS, {"depends_on": ["c"]}, creating=False, record_id="a", parent_chain=CHAIN
    )
    assert got == {"depends_on": ["'c' already depends on this task; that would make a loop"]}
    assert validate_record(
        TASKS,
        {"depends_on": ["b"]},
        exists=exists,
        creating=False,
        record_id="c",
        parent_chain=CHAIN,
    ) == {"depends_on": ["b"]}


def test_without_parent_chain_only_self_reference_is_caught() -> None:
    assert validate_record(
        GOALS, {"parent": "g3"}, exists=exists, creating=False, record_id="g1"
    ) == {"parent": "g3"}


def test_chain_from_follows_the_named_relation_and_survives_stored_loops() -> None:
    assert set(CHAIN("goals", "g3")) == {"g2", "g1"}
    assert set(CHAIN("teams", "t2")) == {"t1"}
    assert set(CHAIN("tasks.depends_on", "c")) == {"b", "a"}
    assert list(CHAIN("goals", "missing")) == []
    looped = {"x": ["y"], "y": ["z"], "z": ["x"]}
    assert sorted(walk_relation("x", lambda i: looped.get(i, []))) == ["y", "z"]


def test_validation_error_text_and_grouping() -> None:
    err = ValidationError([Problem("due", "bad"), Problem("due", "worse"), Problem("", "x")])
    assert str(err) == "due: bad; due: worse; x"
    assert err.by_field() == {"due": ["bad", "worse"], "": ["x"]}
    assert isinstance(err, ValueError)
    with pytest.raises(ValueError, match="at least one problem"):
        ValidationError([])


def test_non_mapping_data_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        validate_record(GOALS, ["title"], exists=exists)  # type: ignore[arg-type]


# ---------------------------------------------------------------- robustness

ALL_FIELDS = [f for c in COLLECTIONS.values() for f in c.fields]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ALL_FIELDS), st.text(max_size=30))
def test_any_typed_text_either_parses_or_is_a_validation_error(field: Field, text: str) -> None:
    try:
        value = parse_field_value(field, text)
    except ValidationError as err:
        assert all(p.field == field.name and p.message for p in err.problems)
        return
    assert check_value(field, value) == value  # parsed values are already normalised


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ALL_FIELDS), json_values)
def test_any_value_either_checks_or_is_a_validation_error(field: Field, value: Any) -> None:
    try:
        clean = check_value(field, value)
    except ValidationError as err:
        assert err.problems[0].field == field.name
        return
    assert check_value(field, clean) == clean  # normalising twice changes nothing
