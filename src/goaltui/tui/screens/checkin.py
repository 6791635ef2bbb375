"""Screen 6, check-in: walk through my KPIs that are due, a few keystrokes each."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from goaltui.errors import GoaltuiError
from goaltui.mirror.views import TODAY_SQL
from goaltui.model import collection
from goaltui.model.errors import Problem, ValidationError
from goaltui.model.fieldvalues import parse_field_value
from goaltui.model.schema import CHECKIN_STATUSES
from goaltui.tui.backend import Backend
from goaltui.tui.render import bar, sparkline
from goaltui.tui.screens.base import WorkspaceScreen
from goaltui.tui.widgets.key_bar import KeyBar
from goaltui.tui.widgets.title_bar import TitleBar

__all__ = ["CheckinScreen", "my_kpis", "status_for"]

_FIELDS = ("value", "confidence", "note")


def status_for(confidence: int | None) -> str | None:
    """The status most people pick for a confidence (used when none is chosen)."""
    if confidence is None:
        return None
    return "on_track" if confidence >= 6 else "at_risk" if confidence >= 4 else "off_track"


def my_kpis(reader: Any, me: str) -> list[dict[str, Any]]:
    """The KPIs ``me`` owns (or whose goal ``me`` owns) on open goals; due ones first."""
    due = {str(r["id"]) for r in reader.view("stale_checkins", where={"owner": me})}
    kpis, goals = reader.table_name("kpis"), reader.table_name("goals")
    names, rows = reader.query(
        f"SELECT k.id, k.name, k.goal, g.title AS goal_title, k.last_checkin_at AS last_checkin, "
        f"CAST(julianday({TODAY_SQL}) - julianday(date(k.last_checkin_at)) AS INTEGER) "
        f'AS days_since FROM "{kpis}" k JOIN "{goals}" g ON g.id = k.goal '
        "WHERE coalesce(k.owner, g.owner) = ? AND coalesce(k.archived, 0) = 0 "
        "AND coalesce(g.archived, 0) = 0 "
        "AND coalesce(g.status, 'draft') NOT IN ('achieved', 'missed', 'dropped') "
        "ORDER BY k.last_checkin_at IS NOT NULL, k.last_checkin_at, k.name",
        [me],
    )
    items = [dict(zip(names, row, strict=True)) for row in rows]
    for item in items:
        item["due"] = str(item["id"]) in due
    items.sort(key=lambda i: not i["due"])
    return items


class CheckinScreen(WorkspaceScreen):
    """Value, tab, confidence, enter: saved, and on to the next KPI."""

    TITLE_TEXT = "6 Check-in"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save and next", priority=True, id="checkin.save"),
        Binding("ctrl+n", "skip(1)", "Skip", priority=True, id="checkin.skip"),
        Binding("ctrl+b", "skip(-1)", "Previous", priority=True, id="checkin.previous"),
        Binding("ctrl+r", "restart", "Reload list", id="checkin.reload"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.items: list[dict[str, Any]] = []
        self.index = 0
        self.saved = 0

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="checkin"):
            yield Static("", id="ci-position")
            yield Static("", id="ci-card")
            with Horizontal(id="ci-row"):
                with Vertical():
                    yield Label("value")
                    yield Input(id="ci-value", placeholder="number")
                with Vertical():
                    yield Label("confidence 0–10")
                    yield Input(id="ci-confidence", placeholder="0–10")
                with Vertical():
                    yield Label("status")
                    yield Select(
                        [(s.replace("_", " "), s) for s in CHECKIN_STATUSES], id="ci-status"
                    )
            with Vertical(id="ci-more"):
                yield Label("note")
                yield Input(id="ci-note", placeholder="what changed? (enter saves)")
                yield Static("", id="ci-errors", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.action_restart()

    def action_restart(self) -> None:
        me = self.backend.me
        self.items = my_kpis(self.reader, me) if me else []
        self.index = 0
        self.show_current()

    def reload(self) -> None:
        self.show_current()

    @property
    def current(self) -> dict[str, Any] | None:
        return self.items[self.index] if 0 <= self.index < len(self.items) else None

    def show_current(self) -> None:
        item = self.current
        position = self.query_one("#ci-position", Static)
        card = self.query_one("#ci-card", Static)
        self.query_one("#ci-row").display = item is not None
        self.query_one("#ci-more").display = item is not None
        if item is None:
            if self.backend.me is None:
                position.update(Text("Who are you? This workspace has no 'me' set in its config."))
            else:
                position.update(
                    Text(f"✓ Nothing due: {self.saved} check-ins saved. ctrl+r reloads.")
                )
            card.update("")
            return
        due = sum(1 for i in self.items if i["due"])
        position.update(
            Text(f"KPI {self.index + 1} of {len(self.items)} of yours ({due} due)", style="bold")
        )
        card.update(self._card(item))
        for wid in ("#ci-value", "#ci-confidence", "#ci-note"):
            self.query_one(wid, Input).value = ""
        self.query_one("#ci-status", Select).clear()
        self.query_one("#ci-errors", Static).update("")
        self.query_one("#ci-value", Input).focus()

    def _card(self, item: dict[str, Any]) -> Text:
        found = self.reader.get(str(item["id"]))
        kpi = found[1] if found else {}
        history = self.reader.list_records("checkins", where={"kpi": item["id"]}, order_by="at")
        unit = f" {kpi.get('unit')}" if kpi.get("unit") else ""
        text = Text(str(item.get("name") or ""), style="bold")
        text.append(f"  for “{item.get('goal_title') or ''}”\n")
        text.append(
            f"baseline {kpi.get('baseline')} → target {kpi.get('target')}{unit}; "
            f"now {kpi.get('current')}{unit}\n"
        )
        text.append_text(bar(kpi.get("progress"), 20))
        values = [c.get("value") for c in history][-30:]
        text.append(f"  {sparkline(values)}\n" if values else "\n")
        last = item.get("last_checkin")
        text.append(
            f"last check-in {str(last)[:10]} ({item.get('days_since')} days ago)"
            if last
            else "never checked in"
        )
        text.append(" · ⚠ due now" if item["due"] else " · ✓ not due yet")
        return text

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ci-note":
            self.run_worker(self.action_save(), exclusive=True)
        else:
            self.focus_next()

    def read_fields(self) -> dict[str, Any]:
        coll = collection("checkin")
        out: dict[str, Any] = {}
        problems: list[Problem] = []
        for name in _FIELDS:
            try:
                out[name] = parse_field_value(
                    coll.field_map[name], self.query_one(f"#ci-{name}", Input).value
                )
            except ValidationError as err:
                problems.extend(err.problems)
        status = self.query_one("#ci-status", Select).value
        out["status"] = status if isinstance(status, str) else status_for(out.get("confidence"))
        if problems:
            raise ValidationError(problems)
        return out

    async def action_save(self) -> None:
        item = self.current
        if item is None:
            return
        errors = self.query_one("#ci-errors", Static)
        try:
            fields = self.read_fields()
            await self.backend.call("check_in", target_id=str(item["id"]), **fields)
        except ValidationError as err:
            errors.update("\n".join(f"⚠ {p}" for p in err.problems))
            return
        except GoaltuiError as err:
            errors.update(f"⚠ {err.title}: {err}")
            return
        self.saved += 1
        self.notify(f"Checked in: {item.get('name')}", markup=False)
        self.index += 1
        self.show_current()

    def action_skip(self, step: int) -> None:
        if self.items:
            self.index = min(max(self.index + step, 0), len(self.items))
            self.show_current()
