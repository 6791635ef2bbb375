"""The one clock of the model, pinnable so that tests and snapshots are reproducible.

Everything that needs "now" (default ``at`` of a check-in, "today" in dates, overdue
and stale warnings) asks :func:`now`. The answer comes from, in order:

1. a clock pinned in-process with :func:`set_clock` (or the :func:`pinned` context
   manager) — for unit tests;
2. the ``GOALTUI_NOW`` environment variable, an ISO-8601 instant such as
   ``2027-03-31T12:00:00Z``, read at every call — for snapshot tests of the TUI and
   for child processes, which inherit it;
3. the system clock.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

__all__ = [
    "ENV_VAR",
    "ClockError",
    "is_pinned",
    "now",
    "parse_iso_instant",
    "pinned",
    "set_clock",
]

ENV_VAR = "GOALTUI_NOW"

_pinned: datetime | None = None

_INSTANT_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?"
)


class ClockError(ValueError):
    """``GOALTUI_NOW`` (or a pinned clock) is not a usable instant."""


def parse_iso_instant(text: str) -> datetime | None:
    """Parse an ISO-8601 date or date-time into a datetime, or None if it is not one.

    Works the same on every supported Python (3.10's ``fromisoformat`` rejects ``Z``
    and fractions that are not 3 or 6 digits). A value without an offset comes back
    naive; callers decide what naive means. Raises ValueError for a well-formed but
    impossible value (``2027-02-30``) so that callers can say "not a real date".
    """
    m = _INSTANT_RE.fullmatch(text.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, offset = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz: timezone | None = None
    if offset is not None:
        if offset in ("Z", "z"):
            tz = timezone.utc
        else:
            digits = offset[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:] or "0")
            if hours > 23 or minutes > 59:
                raise ValueError(f"offset {offset} is out of range")
            delta = timedelta(hours=hours, minutes=minutes)
            tz = timezone(-delta if offset[0] == "-" else delta)
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=tz,
    )


def _aware(moment: datetime) -> datetime:
    """A naive datetime is taken as UTC (the document stores UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def set_clock(moment: datetime | None) -> None:
    """Pin the clock to ``moment`` (naive = UTC); None returns to env var / system clock."""
    global _pinned
    _pinned = None if moment is None else _aware(moment)


@contextmanager
def pinned(moment: datetime) -> Iterator[None]:
    """Pin the clock for the duration of a ``with`` block, then restore the previous one."""
    global _pinned
    previous = _pinned
    set_clock(moment)
    try:
        yield
    finally:
        _pinned = previous


def is_pinned() -> bool:
    """True when the clock is pinned by :func:`set_clock` or by ``GOALTUI_NOW``."""
    return _pinned is not None or bool(os.environ.get(ENV_VAR, "").strip())


def now() -> datetime:
    """The current instant, timezone-aware in UTC (see the module docstring for sources)."""
    if _pinned is not None:
        return _pinned
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        try:
            moment = parse_iso_instant(env)
        except ValueError:
            moment = None
        if moment is None:
            raise ClockError(
                f"{ENV_VAR}={env!r} is not an instant; use e.g. 2027-03-31T12:00:00Z or unset it"
            )
        return _aware(moment)
    return datetime.now(timezone.utc)
