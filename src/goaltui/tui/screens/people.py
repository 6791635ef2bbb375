"""Screen 5, people and teams: workload per person, who owns what, and the RACI matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, DataTable, Static

from goaltui.model.dates import today
from goaltui.tui.backend import Backend
from goaltui.tui.render import fit, status_mark
from goaltui.tui.screens.base import WorkspaceScreen
from goaltui.tui.widgets.key_bar import KeyBar
from goaltui.tui.widgets.title_bar import TitleBar

__all__ = ["RACI_LETTERS", "PeopleScreen", "owned_by", "raci_matrix", "workload"]

PEOPLE_LIMIT = 300
OWNED_LIMIT = 40
RACI_GOALS = 40
RACI_LETTERS = {
    "responsible": "R",
    "accountable": "A",
    "consulted": "C",
    "informed": "I",
    "approver": "V",
}
_OPEN_GOAL = "coalesce(g.status, 'draft') NOT IN ('achieved', 'missed', 'dropped')"
_OPEN_TASK = "coalesce(t.status, 'todo') <> 'done'"
_LIVE = "coalesce({t}.archived, 0) = 0"


def workload(reader: Any, limit: int = PEOPLE_LIMIT) -> list[dict[str, Any]]:
    """Per person: team, open goals and KPIs owned, open and overdue tasks (busiest first)."""
    t = {c: reader.table_name(c) for c in ("people", "teams", "goals", "kpis", "tasks")}
    sql = (
        "SELECT p.id, p.name, tm.name AS team, "
        f'(SELECT count(*) FROM "{t["goals"]}" g WHERE g.owner = p.id AND {_LIVE.format(t="g")} '
        f"AND {_OPEN_GOAL}) AS goals, "
        f'(SELECT count(*) FROM "{t["kpis"]}" k WHERE k.owner = p.id AND {_LIVE.format(t="k")}) '
        "AS kpis, "
        f'(SELECT count(*) FROM "{t["tasks"]}" t WHERE t.assignee = p.id '
        f"AND {_LIVE.format(t='t')} AND {_OPEN_TASK}) AS open_tasks, "
        f'(SELECT count(*) FROM "{t["tasks"]}" t WHERE t.assignee = p.id '
        f"AND {_LIVE.format(t='t')} AND {_OPEN_TASK} AND t.due < ?) AS overdue "
        f'FROM "{t["people"]}" p LEFT JOIN "{t["teams"]}" tm ON tm.id = p.team '
        f"WHERE {_LIVE.format(t='p')} "
        "ORDER BY open_tasks DESC, overdue DESC, p.name COLLATE NOCASE, p.id LIMIT ?"
    )
    names, rows = reader.query(sql, [today(), limit])
    return [dict(zip(names, row, strict=True)) for row in rows]


def owned_by(reader: Any, person: str, limit: int = OWNED_LIMIT) -> dict[str, list[dict[str, Any]]]:
    """The open goals, KPIs and open tasks ``person`` owns (at most ``limit`` of each)."""
    goals = [
        g
        for g in reader.list_records("goals", where={"owner": person}, order_by="due", limit=limit)
        if g.get("status") not in ("achieved", "missed", "dropped")
    ]
    kpis = reader.list_records("kpis", where={"owner": person}, order_by="name", limit=limit)
    assigned = reader.list_records("tasks", where={"assignee": person}, order_by="due", limit=limit)
    tasks = [t for t in assigned if t.get("status") != "done"]
    return {"goals": goals, "kpis": kpis, "tasks": tasks}


def raci_matrix(
    reader: Any, max_goals: int = RACI_GOALS
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[tuple[str, str], str]]:
    """(goals, people, (goal, person) → letters) from the stakeholder records with a goal."""
    stakeholders, goals, people = (
        reader.table_name(c) for c in ("stakeholders", "goals", "people")
    )
    _, rows = reader.query(
        f'SELECT s.goal, g.title, s.person, p.name, s.role FROM "{stakeholders}" s '
        f'JOIN "{goals}" g ON g.id = s.goal AND coalesce(g.archived, 0) = 0 '
        f'JOIN "{people}" p ON p.id = s.person '
        "WHERE coalesce(s.archived, 0) = 0 AND s.goal IN (SELECT DISTINCT s2.goal FROM "
        f'"{stakeholders}" s2 WHERE coalesce(s2.archived, 0) = 0 AND s2.goal IS NOT NULL '
        "ORDER BY s2.goal LIMIT ?) ORDER BY g.title COLLATE NOCASE, p.name COLLATE NOCASE",
        [max_goals],
    )
    goal_list: dict[str, str] = {}
    person_list: dict[str, str] = {}
    cells: dict[tuple[str, str], str] = {}
    for goal, title, person, name, role in rows:
        goal_list.setdefault(goal, str(title or goal))
        person_list.setdefault(person, str(name or person))
        letter = RACI_LETTERS.get(str(role), "?")
        key = (goal, person)
        if letter not in cells.get(key, ""):
            cells[key] = cells.get(key, "") + letter
    people_sorted = sorted(person_list.items(), key=lambda p: p[1].lower())
    return list(goal_list.items()), people_sorted, cells


class PeopleScreen(WorkspaceScreen):
    """Workload table (busiest first) with what the highlighted person owns; r: RACI matrix."""

    TITLE_TEXT = "5 People and teams"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "toggle_view", "Workload/RACI", id="people.raci"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with ContentSwitcher(initial="workload-view", id="people-views"):
            with Vertical(id="workload-view"):
                yield DataTable(id="workload", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="owned-box"):
                    yield Static("", id="owned")
            with VerticalScroll(id="raci-view"):
                yield Static("", id="raci")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#workload", DataTable)
        table.add_columns("person", "team", "goals", "KPIs", "open tasks", "overdue")
        self.reload()
        table.focus()

    def reload(self) -> None:
        table = self.query_one("#workload", DataTable)
        keep = table.cursor_row
        self.rows = workload(self.reader)
        table.clear()
        for row in self.rows:
            late = int(row["overdue"] or 0)
            table.add_row(
                Text(fit(str(row["name"] or ""), 20)),
                Text(fit(str(row["team"] or "—"), 14)),
                str(row["goals"]),
                str(row["kpis"]),
                str(row["open_tasks"]),
                Text(f"! {late}", style="bold red") if late else "0",
                key=str(row["id"]),
            )
        if self.rows:
            table.move_cursor(row=min(keep, len(self.rows) - 1))
        self._show_owned(table.cursor_row)
        self.query_one("#raci", Static).update(self._raci())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_owned(event.cursor_row)

    def _show_owned(self, index: int) -> None:
        box = self.query_one("#owned", Static)
        if not 0 <= index < len(self.rows):
            box.update(Text("No people yet."))
            return
        person = self.rows[index]
        owned = owned_by(self.reader, str(person["id"]))
        text = Text(str(person["name"] or ""), style="bold")
        text.append(f"  {person['team'] or ''}\n", style="dim")
        on = today()
        for title, key, field in (
            ("Goals", "goals", "title"),
            ("KPIs", "kpis", "name"),
            ("Open tasks", "tasks", "title"),
        ):
            items = owned[key]
            text.append(f"{title} ({len(items)}{'+' if len(items) >= OWNED_LIMIT else ''})\n")
            for item in items:
                due = str(item.get("due") or "")
                late = bool(due) and due < on and key != "kpis"
                text.append(f"  {'!' if late else status_mark(item.get('status'))} ")
                text.append(str(item.get(field) or ""))
                text.append(f"  {due}\n" if due else "\n", style="bold red" if late else "dim")
        box.update(text)

    def _raci(self) -> Table | Text:
        goals, people, cells = raci_matrix(self.reader)
        if not goals:
            return Text("No stakeholders with roles on goals yet (add them on a goal's detail).")
        table = Table(
            title="Stakeholder roles: R responsible · A accountable · C consulted · "
            "I informed · V approver",
            title_justify="left",
            show_lines=False,
        )
        table.add_column("goal", no_wrap=True, max_width=36)
        for _, name in people:
            table.add_column(Text(name.split()[0][:8]), justify="center", no_wrap=True)
        for goal_id, title in goals:
            table.add_row(
                Text(fit(title, 36).rstrip()), *(cells.get((goal_id, p), "") for p, _ in people)
            )
        return table

    def action_toggle_view(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        switcher.current = "raci-view" if switcher.current == "workload-view" else "workload-view"
