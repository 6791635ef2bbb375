"""Screen 8, review: per cycle, outcomes against targets, review scores, lessons, next steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from goaltui.tui.backend import Backend
from goaltui.tui.data import names_of, titles_of
from goaltui.tui.dialogs.record_form import RecordForm
from goaltui.tui.render import bar, status_mark
from goaltui.tui.screens.base import WorkspaceScreen
from goaltui.tui.screens.priorities import current_cycle
from goaltui.tui.widgets.key_bar import KeyBar
from goaltui.tui.widgets.title_bar import TitleBar

__all__ = ["ReviewScreen", "cycle_outcomes", "cycle_reviews"]

GOALS_SHOWN = 60
REVIEWS_SHOWN = 50


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def cycle_outcomes(reader: Any, cycle: str, limit: int = GOALS_SHOWN) -> list[dict[str, Any]]:
    """The cycle's goals (by level, then title), each with its KPIs under ``kpis``."""
    goals = reader.list_records("goals", where={"cycle": cycle}, order_by="title", limit=limit)
    order = {"strategic": 0, "team": 1, "individual": 2}
    goals.sort(key=lambda g: (order.get(str(g.get("level")), 3), str(g.get("title") or "")))
    kpis: dict[str, list[dict[str, Any]]] = {}
    ids = [g["id"] for g in goals]
    for k in reader.list_records("kpis", where={"goal": ids}, order_by="name") if ids else []:
        kpis.setdefault(str(k["goal"]), []).append(k)
    return [{**g, "kpis": kpis.get(str(g["id"]), [])} for g in goals]


def cycle_reviews(
    reader: Any, cycle: str, goal_ids: list[str], limit: int = REVIEWS_SHOWN
) -> list[dict[str, Any]]:
    """Reviews of the cycle itself and of its goals, newest first."""
    rows = reader.list_records("reviews", where={"cycle": cycle}, order_by="-at", limit=limit)
    if goal_ids:
        seen = {r["id"] for r in rows}
        more = reader.list_records("reviews", where={"goal": goal_ids}, order_by="-at", limit=limit)
        rows += [r for r in more if r["id"] not in seen]
    rows.sort(key=lambda r: str(r.get("at") or ""), reverse=True)
    return rows[:limit]


class ReviewScreen(WorkspaceScreen):
    """One cycle at a time ([ and ] change it); a adds a review of the cycle or a goal."""

    TITLE_TEXT = "8 Review"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "cycle(-1)", "Previous cycle", id="review.previous"),
        Binding("right_square_bracket", "cycle(1)", "Next cycle", id="review.next"),
        Binding("a", "add_review", "Add review", id="review.add"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.cycles: list[dict[str, Any]] = []
        self.cycle_id: str | None = None
        self.goal_ids: list[str] = []

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="review"):
            yield Static("", id="review-cycle")
            yield Static("Outcomes against targets", classes="section-title")
            yield Static("", id="review-outcomes")
            yield Static("Reviews: scores, lessons learned, next steps", classes="section-title")
            yield Static("", id="review-reviews")
        yield KeyBar()

    def on_mount(self) -> None:
        current = current_cycle(self.reader)
        self.cycle_id = str(current["id"]) if current else None
        self.reload()

    def reload(self) -> None:
        self.cycles = self.reader.list_records("cycles", order_by="start")
        if self.cycle_id not in {c["id"] for c in self.cycles}:
            self.cycle_id = str(self.cycles[-1]["id"]) if self.cycles else None
        heading = self.query_one("#review-cycle", Static)
        if self.cycle_id is None:
            heading.update(Text("No cycles yet: add one (goaltui add cycle) to review it."))
            self.query_one("#review-outcomes", Static).update("")
            self.query_one("#review-reviews", Static).update("")
            return
        cycle = next(c for c in self.cycles if c["id"] == self.cycle_id)
        at = [c["id"] for c in self.cycles].index(self.cycle_id) + 1
        text = Text(f"{cycle.get('name')}", style="bold")
        text.append(
            f"  {cycle.get('start') or '?'} → {cycle.get('end') or '?'}"
            f" · cycle {at} of {len(self.cycles)} ([ ] to change)",
            style="dim",
        )
        heading.update(text)
        outcomes = cycle_outcomes(self.reader, self.cycle_id)
        self.goal_ids = [str(g["id"]) for g in outcomes]
        self.query_one("#review-outcomes", Static).update(self._outcomes(outcomes))
        reviews = cycle_reviews(self.reader, self.cycle_id, self.goal_ids)
        self.query_one("#review-reviews", Static).update(self._reviews(reviews))

    def _outcomes(self, goals: list[dict[str, Any]]) -> Text:
        if not goals:
            return Text("No goals in this cycle.", style="dim")
        text = Text()
        for g in goals:
            text.append(f"{status_mark(g.get('status'))} {g.get('title') or ''}", style="bold")
            text.append(f"  {g.get('status') or 'draft'!s}\n  ", style="dim")
            text.append_text(bar(g.get("progress"), 16))
            text.append("\n")
            for k in g["kpis"]:
                unit = f" {k['unit']}" if k.get("unit") else ""
                text.append(f"    {k.get('name') or ''}: ")
                text.append(
                    f"baseline {_number(k.get('baseline'))} → target {_number(k.get('target'))}"
                    f"{unit}, now {_number(k.get('current'))}  ",
                    style="dim",
                )
                progress = k.get("progress")
                text.append_text(bar(progress if isinstance(progress, float) else None, 8))
                text.append("\n")
        return text

    def _reviews(self, reviews: list[dict[str, Any]]) -> Text:
        if not reviews:
            return Text("No reviews of this cycle yet: press a to add one.", style="dim")
        names = names_of(self.reader, [r.get("author") for r in reviews])
        titles = titles_of(self.reader, [r.get("goal") for r in reviews])
        text = Text()
        for r in reviews:
            about = titles.get(str(r.get("goal")), "") if r.get("goal") else "the whole cycle"
            score = r.get("score")
            text.append(f"★ {round(score * 100)}%" if isinstance(score, float) else "★ —", "bold")
            text.append(f"  {about}", style="bold")
            who = names.get(str(r.get("author")), "")
            text.append(f"  {who} · {str(r.get('at') or '')[:10]}\n", style="dim")
            for label, key in (
                ("Outcome", "outcome"),
                ("Lessons", "lessons"),
                ("Next steps", "next_steps"),
            ):
                if r.get(key):
                    text.append(f"  {label}: ", style="bold")
                    text.append(f"{r[key]}\n")
            text.append("\n")
        return text

    def action_cycle(self, step: int) -> None:
        ids = [str(c["id"]) for c in self.cycles]
        if self.cycle_id in ids:
            self.cycle_id = ids[min(max(ids.index(self.cycle_id) + step, 0), len(ids) - 1)]
            self.reload()
            self.query_one("#review").scroll_home(animate=False)

    def choices(self, ref: str, current: Any) -> list[tuple[str, str]]:
        if ref == "goals" and self.goal_ids:
            titles = titles_of(self.reader, self.goal_ids)
            return sorted(((t, i) for i, t in titles.items()), key=lambda p: p[0].lower())
        from goaltui.model import collection

        title = collection(ref).title_field
        rows = self.reader.list_records(ref, order_by=title, limit=500)
        return [(str(r.get(title) or r["id"]), str(r["id"])) for r in rows]

    def action_add_review(self) -> None:
        async def submit(fields: dict[str, Any]) -> Any:
            return await self.backend.call("review", **fields)

        form = RecordForm(
            "review",
            submit=submit,
            choices=self.choices,
            values={"cycle": self.cycle_id},
            hidden={"author"},
            title="Add a review (score 0–1; leave goal empty to review the cycle)",
        )

        def finished(result: Any) -> None:
            if result:
                self.notify("Review added", markup=False)

        self.app.push_screen(form, finished)
