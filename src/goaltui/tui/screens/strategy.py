"""Screen 1, strategy: vision and mission (editable), values, strategic objectives."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static, TextArea

from goaltui.tui.backend import Backend
from goaltui.tui.render import bar, status_mark
from goaltui.tui.screens.base import WorkspaceScreen
from goaltui.tui.widgets.key_bar import KeyBar
from goaltui.tui.widgets.title_bar import TitleBar

__all__ = ["StrategyScreen"]


class StrategyScreen(WorkspaceScreen):
    """Tab into vision or mission to edit, ctrl+s saves both, escape leaves the text."""

    TITLE_TEXT = "1 Strategy"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    AUTO_FOCUS = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save vision and mission", priority=True, id="strategy.save"),
        Binding("escape", "leave_text", "Leave text", show=False, id="strategy.leave"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.loaded = {"vision": "", "mission": ""}

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="strategy"):
            yield Static("Vision", classes="section-title")
            yield TextArea("", id="vision", soft_wrap=True)
            yield Static("Mission", classes="section-title")
            yield TextArea("", id="mission", soft_wrap=True)
            yield Static("Values", classes="section-title")
            yield Static("", id="values")
            yield Static("Strategic objectives", classes="section-title")
            yield Static("", id="objectives")
        yield KeyBar()

    def on_mount(self) -> None:
        self.reload()

    def dirty(self) -> list[str]:
        """The text areas edited since they were loaded."""
        return [k for k, v in self.loaded.items() if self.query_one(f"#{k}", TextArea).text != v]

    def reload(self) -> None:
        strategy = self.reader.strategy()
        unsaved = self.dirty()
        for key in ("vision", "mission"):
            self.loaded[key] = str(strategy.get(key) or "")
            if key not in unsaved:
                self.query_one(f"#{key}", TextArea).load_text(self.loaded[key])
        self.query_one("#values", Static).update(self._values())
        self.query_one("#objectives", Static).update(self._objectives())

    def _values(self) -> Text:
        rows = self.reader.list_records("values", order_by="name")
        if not rows:
            return Text("(no values yet)")
        text = Text()
        for v in rows:
            text.append(f"• {v.get('name')}", style="bold")
            text.append(f" — {v.get('description') or ''}\n")
        return text

    def _objectives(self) -> Text:
        goals = self.reader.list_records("goals", where={"level": "strategic"}, order_by="title")
        if not goals:
            return Text("(no strategic goals yet — add one in the alignment tree, 2)")
        kpis: dict[str, list[dict[str, Any]]] = {}
        for k in self.reader.list_records(
            "kpis", where={"goal": [g["id"] for g in goals]}, order_by="name"
        ):
            kpis.setdefault(str(k["goal"]), []).append(k)
        text = Text()
        for g in goals:
            text.append(f"{status_mark(g.get('status'))} {g.get('title')}", style="bold")
            text.append("\n  ")
            text.append_text(bar(g.get("progress"), 20))
            text.append(f"  due {g.get('due') or '—'}\n")
            for k in kpis.get(str(g["id"]), []):
                text.append(f"    {k.get('name')}: ")
                text.append_text(
                    bar(k.get("progress") if isinstance(k.get("progress"), float) else None)
                )
                text.append("\n")
        return text

    async def action_save(self) -> None:
        changed = {k: self.query_one(f"#{k}", TextArea).text for k in self.dirty()}
        if not changed:
            self.notify("Nothing to save")
            return
        if await self.run_op("set_strategy", fields=changed, done="Strategy saved"):
            self.loaded.update(changed)

    def action_leave_text(self) -> None:
        self.set_focus(None)
