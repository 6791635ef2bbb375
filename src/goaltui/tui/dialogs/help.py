"""The help screen: every key of the screen it was opened from, and the mark legend."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from goaltui.tui.render import STATUS_MARKS, WARNING_MARKS

__all__ = ["HelpScreen", "KeyHelp"]

KeyHelp = tuple[str, str, str]
"""(key as shown, description, binding id)."""


class HelpScreen(ModalScreen[None]):
    """Lists the keys it is given; escape, q or ? closes it."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", id="help.close"),
    ]

    def __init__(self, screen_title: str, keys: Sequence[KeyHelp]) -> None:
        super().__init__()
        self.screen_title = screen_title
        self.keys = list(keys)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Label(f"Keys — {self.screen_title}", id="help-title", markup=False)
            yield Static(self._keys_table(), id="help-keys")
            yield Static(self._legend(), id="help-legend")

    def _keys_table(self) -> Table:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("what")
        for key, description, _ in self.keys:
            table.add_row(Text(key), Text(description))
        return table

    def _legend(self) -> Text:
        text = Text("\nWarning marks (after ⚠): ", style="bold")
        text.append(", ".join(f"{m} {c.replace('_', ' ')}" for c, m in WARNING_MARKS.items()))
        text.append("\nStatus marks: ", style="bold")
        shown = {"draft", "proposed", "active", "achieved", "missed", "dropped"}
        text.append(", ".join(f"{m} {s}" for s, m in STATUS_MARKS.items() if s in shown))
        return text

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
