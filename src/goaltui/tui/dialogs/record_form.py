"""One form for adding and editing any record kind, generated from the schema.

Each field gets the widget its ``FieldType`` needs; references are chosen from a
list of records. The form calls ``submit(fields)`` itself so that a
``ValidationError`` from the model can be shown next to each field it names; on
success it dismisses with ``submit``'s result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from goaltui.errors import GoaltuiError
from goaltui.model import collection
from goaltui.model.errors import Problem, ValidationError
from goaltui.model.fieldvalues import parse_field_value
from goaltui.model.schema import SMART_CRITERIA, STRATEGY, Field, FieldType

__all__ = ["AUTO_FIELDS", "Choices", "RecordForm"]

AUTO_FIELDS = frozenset({"created_by", "created_at", "archived", "at"})
"""Fields the workspace fills in; forms do not show them."""

Choices = Callable[[str, Any], list[tuple[str, str]]]
"""``choices(ref_collection, current_value)`` → (label, id) pairs for a reference field."""

_PLACEHOLDERS = {
    FieldType.DATE: "YYYY-MM-DD",
    FieldType.INSTANT: "YYYY-MM-DDTHH:MM:SSZ",
    FieldType.INT: "whole number",
    FieldType.FLOAT: "number",
    FieldType.REFS: "ids, separated by commas",
}


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


class RecordForm(ModalScreen[Any]):
    """Add (``values`` as defaults) or edit (``editing=True``: only changes are sent)."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="form.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(
        self,
        kind: str,
        *,
        submit: Callable[[dict[str, Any]], Awaitable[Any]],
        choices: Choices,
        values: Mapping[str, Any] | None = None,
        editing: bool = False,
        hidden: Collection[str] = (),
        title: str | None = None,
    ) -> None:
        super().__init__()
        self.coll = STRATEGY if kind == "strategy" else collection(kind)
        self._submit = submit
        self._choices = choices
        self.values = dict(values or {})
        self.editing = editing
        self.fields = [
            f for f in self.coll.fields if f.name not in AUTO_FIELDS and f.name not in hidden
        ]
        verb = "Edit" if editing else "Add"
        self.form_title = title or f"{verb} {self.coll.kind}"
        self.problems: list[Problem] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box"):
            yield Label(self.form_title, id="form-title", markup=False)
            yield Static("", id="form-error", markup=False)
            with VerticalScroll(id="form-fields", can_focus=False):
                for f in self.fields:
                    label = f.name.replace("_", " ") + (" *" if f.required else "")
                    yield Label(label, classes="field-label", markup=False)
                    yield from self._widgets(f)
                    yield Static("", id=f"error-{f.name}", classes="field-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        if self.fields:
            self._focus_field(self.fields[0])

    def _widgets(self, f: Field) -> ComposeResult:
        value = self.values.get(f.name)
        wid = f"field-{f.name}"
        if f.type is FieldType.TEXT:
            yield TextArea(_as_text(value), id=wid, classes="field-text", soft_wrap=True)
        elif f.type is FieldType.BOOL:
            yield Checkbox(f.name.replace("_", " "), bool(value), id=wid)
        elif f.type is FieldType.ENUM:
            options = [(c.replace("_", " "), c) for c in f.choices]
            initial = value if value in f.choices else Select.NULL
            yield Select(options, value=initial, id=wid, allow_blank=not f.required)
        elif f.type is FieldType.REF and f.ref and f.ref != "*":
            options = self._choices(f.ref, value)
            known = {i for _, i in options}
            if isinstance(value, str) and value not in known:
                options = [(value, value), *options]
            initial = value if isinstance(value, str) else Select.NULL
            yield Select(options, value=initial, id=wid, allow_blank=True)
        elif f.type is FieldType.SMART:
            smart = value if isinstance(value, Mapping) else {}
            for name in SMART_CRITERIA:
                yield Input(
                    _as_text(smart.get(name)),
                    placeholder=name.replace("_", "-"),
                    id=f"{wid}-{name}",
                    classes="field-smart",
                )
        else:
            yield Input(_as_text(value), placeholder=_PLACEHOLDERS.get(f.type, ""), id=wid)

    # --- reading the widgets -------------------------------------------------------------

    def _raw(self, f: Field) -> Any:
        wid = f"#field-{f.name}"
        if f.type is FieldType.TEXT:
            return self.query_one(wid, TextArea).text
        if f.type is FieldType.BOOL:
            return self.query_one(wid, Checkbox).value
        if f.type in (FieldType.ENUM, FieldType.REF) and f.ref != "*":
            selected = self.query_one(wid, Select).value
            return None if selected is Select.NULL else selected
        if f.type is FieldType.SMART:
            parts = {n: self.query_one(f"{wid}-{n}", Input).value.strip() for n in SMART_CRITERIA}
            return {n: v for n, v in parts.items() if v} or None
        return self.query_one(wid, Input).value

    def read_fields(self) -> dict[str, Any]:
        """The form's values (only the changed ones when editing); ValidationError if bad."""
        out: dict[str, Any] = {}
        problems: list[Problem] = []
        for f in self.fields:
            raw = self._raw(f)
            try:
                value = parse_field_value(f, raw) if isinstance(raw, str) else raw
            except ValidationError as err:
                problems.extend(err.problems)
                continue
            if f.type is FieldType.BOOL and not value and not self.values.get(f.name):
                value = None
            if self.editing:
                if value != self.values.get(f.name) and not (
                    value is None and not self.values.get(f.name)
                ):
                    out[f.name] = value
            elif value is not None:
                out[f.name] = value
        if not self.editing:
            bad = {p.field for p in problems}
            problems += [
                Problem(f.name, "is required")
                for f in self.fields
                if f.required and f.name not in out and f.name not in bad
            ]
        if problems:
            raise ValidationError(problems)
        return out

    # --- saving ------------------------------------------------------------------------------

    def show_problems(self, problems: list[Problem], general: str = "") -> None:
        """Put each problem under its field; others (and ``general``) at the top."""
        self.problems = list(problems)
        by_field: dict[str, list[str]] = {}
        for p in problems:
            by_field.setdefault(p.field, []).append(p.message)
        names = {f.name for f in self.fields}
        loose = [f"{k}: {'; '.join(v)}" for k, v in by_field.items() if k not in names]
        top = "; ".join([general, *loose] if general else loose)
        self.query_one("#form-error", Static).update(("⚠ " + top) if top else "")
        self.query_one("#form-error").set_class(bool(top), "shown")
        for f in self.fields:
            messages = by_field.get(f.name, [])
            error = self.query_one(f"#error-{f.name}", Static)
            error.update(("⚠ " + "; ".join(messages)) if messages else "")
            error.set_class(bool(messages), "shown")
        first = next((f for f in self.fields if f.name in by_field), None)
        if first is not None:
            self._focus_field(first)

    def _focus_field(self, f: Field) -> None:
        target = f"#field-{f.name}" + ("-specific" if f.type is FieldType.SMART else "")
        widget = self.query_one(target, Widget)
        widget.focus()
        widget.scroll_visible(animate=False)

    async def action_save(self) -> None:
        try:
            fields = self.read_fields()
        except ValidationError as err:
            self.show_problems(err.problems)
            return
        if self.editing and not fields:
            self.dismiss(None)
            return
        try:
            result = await self._submit(fields)
        except ValidationError as err:
            self.show_problems(err.problems)
            return
        except GoaltuiError as err:
            self.show_problems([], f"{err.title}: {err}")
            return
        # Unfocused first: removing the focused field makes Textual walk the form's
        # focus chain for another field to focus (one being removed too).
        self.set_focus(None, scroll_visible=False)
        self.dismiss(result if result is not None else True)

    def action_cancel(self) -> None:
        self.dismiss(None)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            await self.action_save()
        else:
            self.action_cancel()
