"""Conflicts: fields two devices edited concurrently; keep one value or type a new one.

The list comes from the engine (``conflicts``; it lives beside the document, not in the
mirror) and settling one goes through ``resolve_conflict``, which writes the chosen value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from goaltui.errors import GoaltuiError
from goaltui.model.errors import ValidationError
from goaltui.tui.backend import Backend
from goaltui.tui.dialogs.prompt import Prompt
from goaltui.tui.screens.base import WorkspaceScreen
from goaltui.tui.screens.feedback import target_titles
from goaltui.tui.widgets.key_bar import KeyBar
from goaltui.tui.widgets.title_bar import TitleBar

__all__ = ["ConflictsScreen", "parse_new_value", "shown_value"]

NEW_VALUE = "\0new"


def shown_value(value: Any) -> str:
    """A competing value on one line (text as is, other values as JSON)."""
    if isinstance(value, str):
        return value.replace("\n", " ⏎ ")
    return json.dumps(value, ensure_ascii=False, default=str)


def parse_new_value(collection: str, field: str, raw: str) -> Any:
    """A typed value for ``collection.field`` from text; ValidationError when it does not fit."""
    from goaltui.model import collection as schema_of
    from goaltui.model.fieldvalues import parse_field_value
    from goaltui.model.schema import STRATEGY

    try:
        spec = (STRATEGY if collection == "strategy" else schema_of(collection)).get(field)
    except KeyError:
        spec = None
    if spec is None:
        return raw
    return parse_field_value(spec, raw)


class ConflictsScreen(WorkspaceScreen):
    """Conflicts on top; tab to the competing values; enter keeps the highlighted one."""

    TITLE_TEXT = "Conflicts"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_value", "Type a new value", id="conflicts.new"),
        Binding("ctrl+r", "refresh", "Reload", id="conflicts.reload"),
        Binding("escape", "app.show('alignment')", "Back", id="conflicts.back"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.conflicts: list[dict[str, Any]] = []
        self.titles: dict[str, tuple[str, str]] = {}
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="conflicts-heading")
        yield OptionList(id="conflicts")
        yield Static("", id="conflict-detail")
        yield OptionList(id="values")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#conflicts", OptionList).focus()

    def reload(self) -> None:
        self.load_conflicts()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.reload()

    def action_refresh(self) -> None:
        self.reload()

    @work(exclusive=True, group="conflicts", exit_on_error=False)
    async def load_conflicts(self) -> None:
        try:
            found = await self.backend.call("conflicts")
        except GoaltuiError as err:
            self.notify(str(err), title=err.title, severity="error", markup=False)
            found = []
        self.conflicts = list(found or [])
        self.titles = target_titles(self.reader, [c.get("record") for c in self.conflicts])
        self._fill()
        self.loaded = True

    def _title(self, conflict: dict[str, Any]) -> str:
        if conflict.get("collection") == "strategy":
            return "Strategy"
        return self.titles.get(str(conflict.get("record")), ("", str(conflict.get("record"))))[1]

    def _fill(self) -> None:
        n = len(self.conflicts)
        heading = Text(f" {n} conflict{'s' if n != 1 else ''}", style="bold")
        heading.append(
            " · written on two devices at once: enter keeps a value, n types a new one",
            style="dim",
        )
        self.query_one("#conflicts-heading", Static).update(heading)
        options = self.query_one("#conflicts", OptionList)
        keep = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
        for c in self.conflicts:
            label = Text(f"⚡ {c.get('collection', '').rstrip('s')} “{self._title(c)}”")
            label.append(f" · {c.get('field')}", style="bold")
            label.append(f" · {len(c.get('values') or [])} values", style="dim")
            options.add_option(Option(label, str(c["id"])))
        if not self.conflicts:
            options.add_option(Option(Text("✓ No conflicts: every device agrees."), disabled=True))
        ids = [str(c["id"]) for c in self.conflicts]
        if ids:
            options.highlighted = ids.index(keep) if keep in ids else 0
        self._show_values()

    @property
    def current(self) -> dict[str, Any] | None:
        option = self.query_one("#conflicts", OptionList).highlighted_option
        if option is None or option.id is None:
            return None
        return next((c for c in self.conflicts if str(c["id"]) == option.id), None)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "conflicts":
            self._show_values()

    def _show_values(self) -> None:
        conflict = self.current
        detail = self.query_one("#conflict-detail", Static)
        values = self.query_one("#values", OptionList)
        values.clear_options()
        if conflict is None:
            detail.update("")
            return
        text = Text(f"{conflict.get('field')} of “{self._title(conflict)}”", style="bold")
        text.append(f"\nnow shows: {shown_value(conflict.get('current'))}", style="dim")
        text.append(f" · found {str(conflict.get('detected_at') or '')[:16]}", style="dim")
        detail.update(text)
        for n, v in enumerate(conflict.get("values") or []):
            who = v.get("who") or f"device {str(v.get('actor') or '')[:8]}"
            line = Text(f"keep {who}'s: ", style="bold")
            line.append(shown_value(v.get("value")))
            values.add_option(Option(line, str(n)))
        values.add_option(Option(Text("✎ type a new value… (n)"), NEW_VALUE))
        values.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "conflicts":
            self.query_one("#values", OptionList).focus()
            return
        conflict = self.current
        if conflict is None:
            return
        if event.option.id == NEW_VALUE:
            self.action_new_value()
            return
        value = (conflict.get("values") or [])[int(event.option.id or 0)].get("value")
        self.resolve(str(conflict["id"]), value)

    def action_new_value(self) -> None:
        conflict = self.current
        if conflict is None:
            return
        current = conflict.get("current")
        dialog = Prompt(
            f"New {conflict.get('field')} for “{self._title(conflict)}”",
            current if isinstance(current, str) else shown_value(current),
            hint="enter saves it on every device (after sync); escape cancels",
        )

        def typed(raw: str | None) -> None:
            if raw is None:
                return
            try:
                value = parse_new_value(str(conflict["collection"]), str(conflict["field"]), raw)
            except ValidationError as err:
                self.notify(str(err), title="Not saved", severity="error", markup=False)
                return
            self.resolve(str(conflict["id"]), value)

        self.app.push_screen(dialog, typed)

    @work(exclusive=True, group="resolve", exit_on_error=False)
    async def resolve(self, conflict_id: str, value: Any) -> None:
        """Settle one conflict with ``value``, then reload the list."""
        if await self.run_op(
            "resolve_conflict", conflict_id=conflict_id, value=value, done="Conflict settled"
        ):
            self.query_one("#conflicts", OptionList).focus()
            await self.load_conflicts().wait()
