"""An iCalendar (RFC 5545) feed of milestones, task due dates and goal due dates.

Written by hand (no dependency): all-day VEVENTs, stable UIDs (``<record id>@goaltui``),
DTSTAMP taken from the data rather than the clock, text escaped and lines folded at 75
octets, CRLF line ends. The same data always gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from goaltui.mirror.read import MirrorReader
from goaltui.model.dates import date_of, instant_key

__all__ = ["Event", "calendar_events", "ics_calendar"]

_EPOCH = "19700101T000000Z"


@dataclass(frozen=True)
class Event:
    """One all-day event."""

    uid: str
    day: date
    summary: str
    description: str
    stamp: str  # UTC, 20270315T120000Z
    categories: str


def calendar_events(reader: MirrorReader) -> list[Event]:
    """Milestones, task due dates and goal due dates of live records, by day then UID."""
    people = {p["id"]: p.get("name") for p in reader.list_records("people", include_archived=True)}
    goals = {g["id"]: g for g in reader.list_records("goals")}
    events = []
    for task in reader.list_records("tasks"):
        day = date_of(task.get("due")) or (
            date_of(task.get("start")) if task.get("milestone") else None
        )
        if day is None:
            continue
        goal = goals.get(task.get("goal") or "")
        kind = "Milestone" if task.get("milestone") else "Task due"
        details = [f"Status: {task.get('status') or 'todo'}"]
        if task.get("assignee"):
            details.append(f"Assignee: {people.get(task['assignee']) or task['assignee']}")
        if goal is not None:
            details.append(f"Goal: {goal.get('title')}")
        events.append(
            Event(
                f"{task['id']}@goaltui",
                day,
                f"{kind}: {task.get('title') or task['id']}",
                "\n".join(details),
                _stamp(task),
                "MILESTONE" if task.get("milestone") else "TASK",
            )
        )
    for goal in goals.values():
        day = date_of(goal.get("due"))
        if day is None:
            continue
        details = [f"Status: {goal.get('status') or 'unset'}"]
        if goal.get("owner"):
            details.append(f"Owner: {people.get(goal['owner']) or goal['owner']}")
        if goal.get("progress") is not None:
            details.append(f"Progress: {round(goal['progress'] * 100)}%")
        events.append(
            Event(
                f"{goal['id']}@goaltui",
                day,
                f"Goal due: {goal.get('title') or goal['id']}",
                "\n".join(details),
                _stamp(goal),
                "GOAL",
            )
        )
    return sorted(events, key=lambda e: (e.day, e.uid))


def ics_calendar(reader: MirrorReader, *, name: str = "goaltui") -> str:
    """The whole calendar as RFC 5545 text (CRLF line ends)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//goaltui//goaltui//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in calendar_events(reader):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(event.uid)}",
            f"DTSTAMP:{event.stamp}",
            f"DTSTART;VALUE=DATE:{event.day.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(event.day + timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{escape_text(event.summary)}",
            f"DESCRIPTION:{escape_text(event.description)}",
            f"CATEGORIES:{event.categories}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def escape_text(text: str) -> str:
    """RFC 5545 TEXT escaping: backslash, semicolon, comma, newline; other controls dropped."""
    out = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    out = out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return "".join(ch for ch in out if ch == "\t" or (ord(ch) >= 0x20 and ord(ch) != 0x7F))


def fold(line: str) -> str:
    """Fold a content line at 75 octets (continuations start with a space), never inside a
    UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # the leading space takes one octet
        current += ch
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _stamp(row: dict[str, object]) -> str:
    """DTSTAMP from the record (its creation, else its due date), never from the clock."""
    created = row.get("created_at")
    if isinstance(created, str):
        key = instant_key(created)
        if key.year > 1:
            return key.strftime("%Y%m%dT%H%M%SZ")
    day = date_of(row.get("due"))
    return day.strftime("%Y%m%dT000000Z") if day else _EPOCH
