"""Screen 3, goal detail: everything about one goal, and the actions on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from goaltui.errors import GoaltuiError
from goaltui.tui.backend import Backend
from goaltui.tui.data import names_of
from goaltui.tui.detail_text import goal_sections, history_text
from goaltui.tui.dialogs.pick_record import PickRecord
from goaltui.tui.dialogs.record_form import RecordForm
from goaltui.tui.screens.base import WorkspaceScreen
from goaltui.tui.widgets.key_bar import KeyBar
from goaltui.tui.widgets.title_bar import TitleBar

__all__ = ["GoalDetailScreen"]

SECTIONS = (
    ("summary", ""),
    ("description", "Description"),
    ("smart", "SMART check and warnings"),
    ("kpis", "KPIs and check-ins"),
    ("tasks", "Tasks and milestones"),
    ("resources", "Resources"),
    ("stakeholders", "Stakeholders and roles"),
    ("agreements", "Agreements and objections"),
    ("risks", "Risks"),
    ("feedback", "Feedback"),
    ("history", "Change history"),
)


class GoalDetailScreen(WorkspaceScreen):
    """One goal; ``show_goal`` (from the app) says which."""

    TITLE_TEXT = "3 Goal detail"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.show('alignment')", "Back", id="detail.back"),
        Binding("e", "edit", "Edit", id="detail.edit"),
        Binding("i", "check_in", "Check in", id="detail.check_in"),
        Binding("k", "add('kpi')", "Add KPI", id="detail.add_kpi"),
        Binding("t", "add('task')", "Add task", id="detail.add_task"),
        Binding("r", "add('risk')", "Add risk", id="detail.add_risk"),
        Binding("f", "feedback", "Feedback", id="detail.feedback"),
        Binding("y", "decide('agree')", "Agree", id="detail.agree"),
        Binding("o", "decide('object')", "Object", id="detail.object"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.goal_id: str | None = None
        self.goal: dict[str, Any] = {}
        self.history_loaded = False

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="detail"):
            for key, title in SECTIONS:
                if title:
                    yield Static(title, classes="section-title", markup=False)
                yield Static("", id=f"section-{key}", classes="section")
        yield KeyBar()

    def on_mount(self) -> None:
        self.reload()

    def show_goal(self, goal_id: str) -> None:
        """Show ``goal_id`` (attribute down from the app)."""
        self.goal_id = goal_id
        if self.is_mounted:
            self.reload()
            self.query_one("#detail").scroll_home(animate=False)

    def reload(self) -> None:
        if self.goal_id is None:
            self.query_one("#section-summary", Static).update(
                Text("No goal open: pick one in the alignment tree (2) and press enter.")
            )
            return
        sections = goal_sections(self.reader, self.goal_id)
        if sections is None:
            self.query_one("#section-summary", Static).update(Text("This goal no longer exists."))
            return
        found = self.reader.get(self.goal_id)
        self.goal = found[1] if found else {}
        for key, text in sections.items():
            text.rstrip()
            self.query_one(f"#section-{key}", Static).update(text)
        self.load_history()

    @work(exclusive=True, group="history", exit_on_error=False)
    async def load_history(self) -> None:
        goal_id = self.goal_id
        self.history_loaded = False
        try:
            entries = await self.backend.call("history", record_id=goal_id, limit=30)
        except GoaltuiError as err:
            entries = []
            self.notify(str(err), title=err.title, severity="warning", markup=False)
        if goal_id != self.goal_id:
            return
        names = names_of(self.reader, [e.get("who") for e in entries])
        self.query_one("#section-history", Static).update(history_text(entries, names))
        self.history_loaded = True

    # --- actions -------------------------------------------------------------------------

    def choices(self, ref: str, current: Any) -> list[tuple[str, str]]:
        from goaltui.model import collection

        title = collection(ref).title_field
        rows = self.reader.list_records(ref, order_by=title, limit=500)
        return [(str(r.get(title) or r["id"]), str(r["id"])) for r in rows]

    def _form(self, kind: str, submit: Any, done: str, **kw: Any) -> None:
        form = RecordForm(kind, submit=submit, choices=self.choices, **kw)

        def finished(result: Any) -> None:
            if result:
                self.notify(done, markup=False)

        self.app.push_screen(form, finished)

    def action_edit(self) -> None:
        if self.goal_id is None:
            return
        goal_id = self.goal_id

        async def submit(fields: dict[str, Any]) -> Any:
            return await self.backend.call("edit", record_id=goal_id, fields=fields)

        self._form("goal", submit, "Goal saved", values=self.goal, editing=True)

    def action_add(self, kind: str) -> None:
        if self.goal_id is None:
            return
        goal_id = self.goal_id

        async def submit(fields: dict[str, Any]) -> Any:
            return await self.backend.call("add", kind=kind, fields={**fields, "goal": goal_id})

        values = {"owner": self.backend.me} if kind in ("kpi", "risk") else {}
        self._form(
            kind,
            submit,
            f"{kind.upper() if kind == 'kpi' else kind.title()} added",
            hidden={"goal"},
            values=values,
        )

    def action_feedback(self) -> None:
        if self.goal_id is None:
            return
        goal_id = self.goal_id

        async def submit(fields: dict[str, Any]) -> Any:
            return await self.backend.call(
                "give_feedback",
                target_id=goal_id,
                text=fields.get("text") or "",
                kind=fields.get("kind") or "comment",
            )

        self._form(
            "feedback",
            submit,
            "Feedback added",
            hidden={"target", "author", "resolved"},
            values={"kind": "comment"},
        )

    def action_decide(self, decision: str) -> None:
        if self.goal_id is None:
            return
        goal_id = self.goal_id

        async def submit(fields: dict[str, Any]) -> Any:
            return await self.backend.call(
                "decide",
                goal_id=goal_id,
                decision=fields.get("decision") or decision,
                note=fields.get("note"),
            )

        self._form(
            "agreement",
            submit,
            "Decision recorded",
            hidden={"goal", "person"},
            values={"decision": decision},
            title=f"{decision.title()}: your decision",
        )

    def action_check_in(self) -> None:
        if self.goal_id is None:
            return
        kpis = self.reader.list_records("kpis", where={"goal": self.goal_id}, order_by="name")
        if len(kpis) == 1:
            self.check_in_form(str(kpis[0]["id"]), str(kpis[0].get("name")))
            return
        if not kpis:
            self.check_in_form(self.goal_id, str(self.goal.get("title") or ""))
            return
        options = [(str(k.get("name")), str(k["id"])) for k in kpis]
        labels = dict((i, n) for n, i in options)

        def search(text: str) -> list[tuple[str, str]]:
            return [(n, i) for n, i in options if text.lower() in n.lower()]

        def picked(kpi_id: str | None) -> None:
            if kpi_id:
                self.check_in_form(kpi_id, labels[kpi_id])

        self.app.push_screen(PickRecord("Check in on which KPI?", search), picked)

    def check_in_form(self, target_id: str, label: str) -> None:
        async def submit(fields: dict[str, Any]) -> Any:
            return await self.backend.call("check_in", target_id=target_id, **fields)

        self._form(
            "checkin",
            submit,
            "Checked in",
            hidden={"kpi", "goal", "author"},
            title=f"Check in: {label}",
        )
