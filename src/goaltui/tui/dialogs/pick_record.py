"""Pick one record from a searchable list (e.g. the new parent of a goal)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

__all__ = ["NONE", "PickRecord"]

NONE = ""
"""What the dialog returns for the "none" choice (e.g. top level); None means cancelled."""


class PickRecord(ModalScreen[str | None]):
    """Type to narrow, arrows to choose, enter to pick; ``search(text)`` gives the options."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="pick.cancel"),
        Binding("down", "focus_list", "To the list", show=False, id="pick.list"),
    ]

    def __init__(
        self,
        title: str,
        search: Callable[[str], list[tuple[str, str]]],
        *,
        none_label: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self._search = search
        self._none_label = none_label

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-box"):
            yield Label(self.title_text, id="pick-title", markup=False)
            yield Input(placeholder="type to filter", id="pick-filter")
            yield OptionList(id="pick-options")

    def on_mount(self) -> None:
        self._fill("")

    def _fill(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        if self._none_label is not None and not text:
            options.add_option(Option(self._none_label, id="\0none"))
        for label, ident in self._search(text):
            options.add_option(Option(Text(label), id=ident))
        if options.option_count:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            options.action_select()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        ident = event.option.id
        self.dismiss(NONE if ident == "\0none" else ident)

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
