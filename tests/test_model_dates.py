"""Dates, instants and the pinnable clock of goaltui.model."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timezone

import pytest

from goaltui.model import clock
from goaltui.model.dates import (
    date_of,
    format_instant,
    instant_key,
    now_instant,
    parse_date,
    parse_instant,
    today,
)
from goaltui.model.errors import ValidationError

NOON = datetime(2027, 3, 31, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _free_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(clock.ENV_VAR, raising=False)
    yield
    clock.set_clock(None)


@pytest.fixture
def tz_plus_two(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time zone UTC+2 (a POSIX TZ string, no tz database needed)."""
    monkeypatch.setenv("TZ", "XST-02")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _problem(err: pytest.ExceptionInfo[ValidationError]) -> tuple[str, str]:
    (problem,) = err.value.problems
    return problem.field, problem.message


def test_iso_date_is_kept() -> None:
    assert parse_date("2027-03-31") == "2027-03-31"
    assert parse_date("  2028-02-29 ") == "2028-02-29"


def test_impossible_date_names_field_value_and_format() -> None:
    with pytest.raises(ValidationError) as err:
        parse_date("2027-02-30", field="due")
    assert str(err.value) == "due: '2027-02-30' is not a real date; use YYYY-MM-DD"


@pytest.mark.parametrize("text", ["next week", "31/03/2027", "2027-3-31", "+3x", ""])
def test_not_a_date_lists_accepted_forms(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_date(text, field="start")
    field, message = _problem(err)
    assert field == "start"
    assert "is not a date" in message and "YYYY-MM-DD" in message and "+3d" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2027-03-31"),
        ("Tomorrow", "2027-04-01"),
        ("yesterday", "2027-03-30"),
        ("+3d", "2027-04-03"),
        ("-2d", "2027-03-29"),
        ("+2w", "2027-04-14"),
        ("+ 1 w", "2027-04-07"),
    ],
)
def test_relative_dates_count_from_the_given_today(text: str, expected: str) -> None:
    assert parse_date(text, today="2027-03-31") == expected
    assert parse_date(text, today=date(2027, 3, 31)) == expected


def test_relative_dates_default_to_the_pinned_clock() -> None:
    clock.set_clock(NOON)
    assert today() == "2027-03-31"
    assert parse_date("+1d") == "2027-04-01"


def test_relative_date_out_of_range_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="out of range"):
        parse_date("+9999w", today="9999-12-01")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-31T12:00:00Z", "2027-03-31T12:00:00Z"),
        ("2027-03-31t12:00:00z", "2027-03-31T12:00:00Z"),
        ("2027-03-31T14:00:00+02:00", "2027-03-31T12:00:00Z"),
        ("2027-03-31T14:00+0200", "2027-03-31T12:00:00Z"),
        ("2027-03-31T07:30:00-05", "2027-03-31T12:30:00Z"),
        ("2027-03-31T12:00:00.987654Z", "2027-03-31T12:00:00Z"),
        ("2027-03-31 01:00:00+02:00", "2027-03-30T23:00:00Z"),
    ],
)
def test_instants_normalise_to_utc_whole_seconds(text: str, expected: str) -> None:
    assert parse_instant(text) == expected


def test_instant_without_offset_is_local_time(tz_plus_two: None) -> None:
    assert parse_instant("2027-03-31T14:00") == "2027-03-31T12:00:00Z"
    assert parse_instant("2027-04-01") == "2027-03-31T22:00:00Z"


def test_now_is_the_pinned_clock() -> None:
    clock.set_clock(datetime(2027, 3, 31, 14, 0, 5, 999, tzinfo=timezone.utc))
    assert parse_instant("now") == now_instant() == "2027-03-31T14:00:05Z"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("yesterday noon", "is not an instant"),
        ("2027-02-30T10:00:00Z", "is not a real date and time"),
        ("2027-03-31T25:00:00Z", "is not a real date and time"),
        ("2027-03-31T10:00:00+24:00", "is not a real date and time"),
    ],
)
def test_bad_instants_say_what_and_how(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_instant(text, field="at")
    field, message = _problem(err)
    assert field == "at"
    assert fragment in message and "YYYY-MM-DDTHH:MM:SSZ" in message


def test_format_instant_treats_naive_as_utc_and_pads_years() -> None:
    assert format_instant(datetime(2027, 1, 2, 3, 4, 5)) == "2027-01-02T03:04:05Z"
    assert format_instant(datetime(999, 1, 1, tzinfo=timezone.utc)) == "0999-01-01T00:00:00Z"


def test_env_var_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV_VAR, "2030-01-02T03:04:05+01:00")
    assert now_instant() == "2030-01-02T02:04:05Z"
    assert clock.is_pinned()
    monkeypatch.setenv(clock.ENV_VAR, "2031-06-07T00:00:00Z")
    assert now_instant() == "2031-06-07T00:00:00Z"


def test_set_clock_wins_over_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV_VAR, "2030-01-02T03:04:05Z")
    clock.set_clock(NOON)
    assert now_instant() == "2027-03-31T12:00:00Z"


def test_bad_env_var_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV_VAR, "tomorrow-ish")
    with pytest.raises(clock.ClockError, match="GOALTUI_NOW='tomorrow-ish' is not an instant"):
        clock.now()


def test_unpinned_clock_is_the_system_clock() -> None:
    assert not clock.is_pinned()
    before = datetime.now(timezone.utc)
    moment = clock.now()
    assert moment.tzinfo is not None
    assert before <= moment <= datetime.now(timezone.utc)


def test_pinned_context_restores_the_previous_clock() -> None:
    clock.set_clock(NOON)
    with clock.pinned(datetime(2030, 1, 1)):
        assert now_instant() == "2030-01-01T00:00:00Z"
    assert now_instant() == "2027-03-31T12:00:00Z"


def test_today_is_the_local_date_of_the_clock(tz_plus_two: None) -> None:
    clock.set_clock(datetime(2027, 3, 31, 23, 30, tzinfo=timezone.utc))
    assert today() == "2027-04-01"


def test_instant_key_orders_mixed_shapes_and_puts_bad_values_first() -> None:
    values = [
        "2027-03-31T12:00:00.500Z",
        "2027-03-31T12:00:00Z",
        "2027-03-31T13:00:00+02:00",
        None,
        "garbage",
        "2027-02-30T00:00:00Z",
    ]
    ordered = sorted(values, key=instant_key)
    assert ordered[3:] == [
        "2027-03-31T13:00:00+02:00",
        "2027-03-31T12:00:00Z",
        "2027-03-31T12:00:00.500Z",
    ]
    assert set(ordered[:3]) == {None, "garbage", "2027-02-30T00:00:00Z"}


def test_date_of_reads_dates_and_instants() -> None:
    assert date_of("2027-03-31") == date(2027, 3, 31)
    assert date_of("2027-03-31T23:00:00-02:00") == date(2027, 4, 1)
    assert date_of(date(2027, 1, 1)) == date(2027, 1, 1)
    assert date_of("2027-02-30") is None
    assert date_of(None) is None
    assert date_of(42) is None
