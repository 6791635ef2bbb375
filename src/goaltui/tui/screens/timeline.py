"""Screen 4, timeline: milestones, tasks and goal due dates grouped by week or month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from goaltui.model.dates import today
from goaltui.tui.backend import Backend
from goaltui.tui.messages import GoalOpened
from goaltui.tui.render import fit, status_mark
from goaltui.tui.screens.base import WorkspaceScreen
from goaltui.tui.widgets.key_bar import KeyBar
from goaltui.tui.widgets.title_bar import TitleBar

__all__ = ["LIMIT", "TimelineEntry", "TimelineScreen", "group_label", "timeline_entries"]

LIMIT = 400
"""Entries read at once (overdue ones first, then the nearest due dates)."""

_DONE_GOAL = "('achieved', 'missed', 'dropped')"
KIND_MARKS = {"goal": "◎", "milestone": "◆", "task": "·"}


@dataclass(frozen=True)
class TimelineEntry:
    """One dated thing: a goal's due date, a milestone or a task."""

    kind: str
    id: str
    title: str
    due: str
    status: str | None
    goal: str | None
    who: str | None
    done: bool

    def overdue(self, on: str) -> bool:
        return not self.done and self.due < on


def timeline_entries(reader: Any, *, include_done: bool, limit: int = LIMIT) -> list[TimelineEntry]:
    """Dated goals and tasks by due date; finished ones only when ``include_done``."""
    tasks, goals, people = (reader.table_name(c) for c in ("tasks", "goals", "people"))
    task_done = "coalesce(t.status, 'todo') = 'done'"
    goal_done = f"coalesce(g.status, 'draft') IN {_DONE_GOAL}"
    sql = (
        "SELECT * FROM ("
        "SELECT CASE WHEN coalesce(t.milestone, 0) THEN 'milestone' ELSE 'task' END AS kind, "
        f"t.id, t.title, t.due, t.status, t.goal, p.name AS who, {task_done} AS done "
        f'FROM "{tasks}" t LEFT JOIN "{people}" p ON p.id = t.assignee '
        "WHERE t.due IS NOT NULL AND coalesce(t.archived, 0) = 0"
        + ("" if include_done else f" AND NOT {task_done}")
        + " UNION ALL "
        f"SELECT 'goal', g.id, g.title, g.due, g.status, g.id, p.name, {goal_done} "
        f'FROM "{goals}" g LEFT JOIN "{people}" p ON p.id = g.owner '
        "WHERE g.due IS NOT NULL AND coalesce(g.archived, 0) = 0"
        + ("" if include_done else f" AND NOT {goal_done}")
        + ") ORDER BY NOT (done = 0 AND due < ?), due, kind, title LIMIT ?"
    )
    _, rows = reader.query(sql, [today(), limit])
    entries = [
        TimelineEntry(
            str(k), str(i), str(t or ""), str(d), s, g if isinstance(g, str) else None, w, bool(x)
        )
        for k, i, t, d, s, g, w, x in rows
    ]
    entries.sort(key=lambda e: (e.due, e.kind != "goal", e.title))
    return entries


def group_label(due: str, by: str) -> str:
    """The week (``2026-W48 · from Mon 23 Nov``) or month (``2026-11 · November``) of a date."""
    try:
        day = date.fromisoformat(due[:10])
    except ValueError:
        return "(no valid date)"
    if by == "month":
        return f"{day:%Y-%m} · {day:%B %Y}"
    year, week, _ = day.isocalendar()
    monday = day - timedelta(days=day.weekday())
    return f"{year}-W{week:02d} · from Mon {monday:%d %b %Y}"


class TimelineScreen(WorkspaceScreen):
    """Dated work in order; ``!`` marks what is overdue; enter opens the goal."""

    TITLE_TEXT = "4 Timeline"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "group", "Week/month", id="timeline.group"),
        Binding("d", "toggle_done", "Show/hide done", id="timeline.done"),
        Binding("enter", "open", "Open goal", id="timeline.open"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.by = "week"
        self.include_done = False
        self.entries: list[TimelineEntry] = []

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="timeline-heading")
        yield OptionList(id="timeline")
        yield KeyBar()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def reload(self) -> None:
        options = self.query_one(OptionList)
        keep = options.highlighted_option.id if options.highlighted_option else None
        self.entries = timeline_entries(self.reader, include_done=self.include_done)
        on = today()
        overdue = sum(1 for e in self.entries if e.overdue(on))
        heading = Text(f" by {self.by} · today {on} · ", style="dim")
        heading.append(f"! {overdue} overdue", style="bold" if overdue else "dim")
        heading.append(" · finished shown" if self.include_done else " · open items only")
        if len(self.entries) >= LIMIT:
            heading.append(f" · first {LIMIT}")
        self.query_one("#timeline-heading", Static).update(heading)
        options.clear_options()
        options.add_options(self._options(on))
        if not self.entries:
            options.add_option(Option(Text("Nothing has a due date yet."), disabled=True))
        self._highlight(options, keep)

    def _options(self, on: str) -> list[Option]:
        out: list[Option] = []
        group = None
        for n, entry in enumerate(self.entries):
            label = group_label(entry.due, self.by)
            if label != group:
                group = label
                out.append(Option(Text(label, style="bold"), disabled=True))
            out.append(Option(self._line(entry, on), id=f"{n}:{entry.id}"))
        return out

    def _line(self, entry: TimelineEntry, on: str) -> Text:
        late = entry.overdue(on)
        kind = KIND_MARKS.get(entry.kind, "·")
        text = Text("! " if late else "  ", style="bold red" if late else "")
        text.append(f"{entry.due[:10]} {kind} {status_mark(entry.status)} ")
        text.append(fit(entry.title, 44), style="bold" if entry.kind == "goal" else "")
        text.append(f"  {entry.kind}", style="dim")
        if entry.who:
            text.append(f" · {entry.who}", style="dim")
        if late:
            text.append(" · overdue", style="bold red")
        text.no_wrap, text.overflow = True, "ellipsis"
        return text

    @staticmethod
    def _highlight(options: OptionList, keep: str | None) -> None:
        if keep is not None:
            try:
                options.highlighted = options.get_option_index(keep)
                return
            except LookupError:
                pass
        first = next(
            (i for i in range(options.option_count) if not options.get_option_at_index(i).disabled),
            None,
        )
        options.highlighted = first

    def selected(self) -> TimelineEntry | None:
        option = self.query_one(OptionList).highlighted_option
        if option is None or option.id is None:
            return None
        return self.entries[int(option.id.split(":", 1)[0])]

    def action_group(self) -> None:
        self.by = "month" if self.by == "week" else "week"
        self.reload()

    def action_toggle_done(self) -> None:
        self.include_done = not self.include_done
        self.reload()

    def action_open(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        if entry.goal is None:
            self.notify("This task belongs to no goal", severity="warning")
            return
        self.post_message(GoalOpened(entry.goal))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open()
