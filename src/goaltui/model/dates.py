"""Dates and instants as the document stores them, parsed from what people type.

Dates are ``YYYY-MM-DD`` strings; instants are UTC strings of one fixed shape,
``YYYY-MM-DDTHH:MM:SSZ`` (whole seconds), so that comparing two stored instants as
strings compares them in time. Readers still sort with :func:`instant_key`, which
also accepts the shapes JS clients write (``...:00.123Z``).

"Today" is the local date of :func:`goaltui.model.clock.now`, so it follows a
pinned clock and the ``TZ`` of the process.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from goaltui.model import clock
from goaltui.model.errors import ValidationError

__all__ = [
    "DATE_HELP",
    "INSTANT_HELP",
    "date_of",
    "format_instant",
    "instant_key",
    "now_instant",
    "parse_date",
    "parse_instant",
    "today",
    "today_date",
]

DATE_HELP = "use YYYY-MM-DD, today, tomorrow, yesterday, +3d, -2d or +2w"
INSTANT_HELP = "use YYYY-MM-DDTHH:MM:SSZ, an offset such as +02:00, or now"

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RELATIVE_RE = re.compile(r"([+-])\s*(\d{1,4})\s*([dw])")
_WORDS = {"today": 0, "tomorrow": 1, "yesterday": -1}
_EPOCH_MIN = datetime.min.replace(tzinfo=timezone.utc)


def today_date() -> date:
    """Today's local date according to the model's clock."""
    return clock.now().astimezone().date()


def today() -> str:
    """Today's local date as ``YYYY-MM-DD``."""
    return today_date().isoformat()


def format_instant(moment: datetime) -> str:
    """``moment`` as a stored instant string (UTC, whole seconds); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    u = moment.astimezone(timezone.utc)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def now_instant() -> str:
    """The clock's current instant as a stored instant string."""
    return format_instant(clock.now())


def _base_date(base: str | date | None) -> date:
    if base is None:
        return today_date()
    if isinstance(base, date):
        return base
    return date.fromisoformat(base)


def parse_date(text: str, *, field: str = "date", today: str | date | None = None) -> str:
    """Turn what a person typed into a stored date string.

    Accepts an ISO date (``2027-03-31``), ``today``/``tomorrow``/``yesterday`` and
    ``+Nd``/``-Nd``/``+Nw`` relative to ``today`` (default: the clock's today).
    Raises ValidationError naming ``field``, the value and the expected format.
    """
    raw = text.strip()
    lowered = raw.lower()
    if lowered in _WORDS:
        return (_base_date(today) + timedelta(days=_WORDS[lowered])).isoformat()
    rel = _RELATIVE_RE.fullmatch(lowered)
    if rel is not None:
        sign, count, unit = rel.groups()
        days = int(count) * (7 if unit == "w" else 1)
        try:
            moved = _base_date(today) + timedelta(days=days if sign == "+" else -days)
        except OverflowError:
            raise ValidationError.single(field, f"{raw!r} is out of range; {DATE_HELP}") from None
        return moved.isoformat()
    if _DATE_RE.fullmatch(raw):
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ValidationError.single(
                field, f"{raw!r} is not a real date; use YYYY-MM-DD"
            ) from None
    raise ValidationError.single(field, f"{raw!r} is not a date; {DATE_HELP}")


def parse_instant(text: str, *, field: str = "at") -> str:
    """Turn an ISO-8601 instant (any offset) or ``now`` into a stored UTC instant string.

    A time without an offset is local time, as a person at the terminal means it; a
    bare date is local midnight. Fractions of a second are dropped.
    """
    raw = text.strip()
    if raw.lower() == "now":
        return now_instant()
    try:
        moment = clock.parse_iso_instant(raw)
    except ValueError:
        raise ValidationError.single(
            field, f"{raw!r} is not a real date and time; {INSTANT_HELP}"
        ) from None
    if moment is None:
        raise ValidationError.single(field, f"{raw!r} is not an instant; {INSTANT_HELP}")
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive: local time
    try:
        return format_instant(moment)
    except OverflowError:
        raise ValidationError.single(field, f"{raw!r} is out of range; {INSTANT_HELP}") from None


def instant_key(value: object) -> datetime:
    """A sort key for a stored instant; missing or unreadable values sort first.

    Tolerant on purpose: instants written by other clients may carry milliseconds or
    an offset, and a bad one must not break a list, only sort as the oldest.
    """
    if not isinstance(value, str):
        return _EPOCH_MIN
    try:
        moment = clock.parse_iso_instant(value)
    except ValueError:
        return _EPOCH_MIN
    if moment is None:
        return _EPOCH_MIN
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        return _EPOCH_MIN


def date_of(value: object) -> date | None:
    """The date of a stored date or instant (UTC date for instants); None if unreadable."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    if _DATE_RE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    key = instant_key(value)
    return None if key == _EPOCH_MIN else key.date()
