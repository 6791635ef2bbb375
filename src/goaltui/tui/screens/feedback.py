"""Screen 9, feedback inbox: comments, concerns, suggestions and praise on anything."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from goaltui.tui.backend import Backend
from goaltui.tui.data import names_of
from goaltui.tui.dialogs.record_form import RecordForm
from goaltui.tui.messages import GoalOpened
from goaltui.tui.screens.base import WorkspaceScreen
from goaltui.tui.widgets.key_bar import KeyBar
from goaltui.tui.widgets.title_bar import TitleBar

__all__ = ["KIND_MARKS", "FeedbackScreen", "feedback_items", "target_titles"]

LIMIT = 300
KIND_MARKS = {"comment": "•", "concern": "!", "suggestion": "»", "praise": "+"}


def feedback_items(
    reader: Any, *, unresolved_only: bool, limit: int = LIMIT
) -> list[dict[str, Any]]:
    """Feedback, newest first (only what is not resolved when ``unresolved_only``)."""
    table = reader.table_name("feedback")
    where = "WHERE coalesce(resolved, 0) = 0 " if unresolved_only else ""
    names, rows = reader.query(
        "SELECT id, target, author, at, kind, text, coalesce(resolved, 0) AS resolved "
        f'FROM "{table}" '
        f"{where}ORDER BY at IS NULL, at DESC, id DESC LIMIT ?",
        [limit],
    )
    return [dict(zip(names, row, strict=True)) for row in rows]


def target_titles(reader: Any, ids: Iterable[Any]) -> dict[str, tuple[str, str]]:
    """record id → (collection, title) for records of any kind."""
    from goaltui.model import collection as schema_of

    wanted = sorted({i for i in ids if isinstance(i, str)})
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    _, rows = reader.query(f"SELECT id, collection FROM record_index WHERE id IN ({marks})", wanted)
    by_coll: dict[str, list[str]] = {}
    for rid, coll in rows:
        by_coll.setdefault(str(coll), []).append(str(rid))
    out: dict[str, tuple[str, str]] = {}
    for coll, rids in by_coll.items():
        try:
            field = schema_of(coll).title_field
        except (KeyError, ValueError, LookupError):
            field = "name"
        for row in reader.list_records(coll, where={"id": rids}, include_archived=True):
            out[str(row["id"])] = (coll, str(row.get(field) or row["id"]))
    return out


class FeedbackScreen(WorkspaceScreen):
    """The inbox (newest first); x resolves, r replies on the same record, o opens its goal."""

    TITLE_TEXT = "9 Feedback inbox"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "toggle_filter", "Unresolved/all", id="feedback.filter"),
        Binding("x", "resolve", "Resolve/reopen", id="feedback.resolve"),
        Binding("r", "reply", "Reply", id="feedback.reply"),
        Binding("o", "open_target", "Open goal", id="feedback.open"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.unresolved_only = True
        self.items: list[dict[str, Any]] = []
        self.names: dict[str, str] = {}
        self.targets: dict[str, tuple[str, str]] = {}

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="fb-heading")
        yield OptionList(id="inbox")
        with VerticalScroll(id="fb-detail-box"):
            yield Static("", id="fb-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def reload(self) -> None:
        options = self.query_one(OptionList)
        keep = options.highlighted_option.id if options.highlighted_option else None
        self.items = feedback_items(self.reader, unresolved_only=self.unresolved_only)
        self.names = names_of(self.reader, [i.get("author") for i in self.items])
        self.targets = target_titles(self.reader, [i.get("target") for i in self.items])
        shown = "unresolved" if self.unresolved_only else "all"
        heading = Text(f" {len(self.items)} {shown}", style="bold")
        heading.append(" · f: unresolved/all · x resolves · r replies", style="dim")
        self.query_one("#fb-heading", Static).update(heading)
        options.clear_options()
        options.add_options(Option(self._line(i), str(i["id"])) for i in self.items)
        if not self.items:
            options.add_option(Option(Text("Inbox zero: nothing unresolved."), disabled=True))
        if keep is not None and any(str(i["id"]) == keep for i in self.items):
            options.highlighted = options.get_option_index(keep)
        elif self.items:
            options.highlighted = 0
        self._detail()

    def _line(self, item: dict[str, Any]) -> Text:
        kind = str(item.get("kind") or "comment")
        text = Text("✓ " if item.get("resolved") else "  ")
        text.append(f"{KIND_MARKS.get(kind, '•')} {kind:<10} ", style="bold")
        text.append(f"{str(item.get('at') or '')[:10]} ", style="dim")
        text.append(f"{self.names.get(str(item.get('author')), '?')} on ", style="dim")
        text.append(self.targets.get(str(item.get("target")), ("", "(workspace)"))[1])
        text.append(": " + str(item.get("text") or "").replace("\n", " "), style="dim")
        return text

    @property
    def current(self) -> dict[str, Any] | None:
        option = self.query_one(OptionList).highlighted_option
        if option is None or option.id is None:
            return None
        return next((i for i in self.items if str(i["id"]) == option.id), None)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._detail()

    def _detail(self) -> None:
        box = self.query_one("#fb-detail", Static)
        item = self.current
        if item is None:
            box.update("")
            return
        coll, title = self.targets.get(str(item.get("target")), ("", "(workspace)"))
        text = Text(f"{coll.rstrip('s') or 'about'}: ", style="dim")
        text.append(f"{title}\n", style="bold")
        target = item.get("target")
        thread = self.reader.list_records("feedback", where={"target": target}, order_by="at")
        names = names_of(self.reader, [t.get("author") for t in thread])
        for t in thread[-20:]:
            mark = "✓" if t.get("resolved") else KIND_MARKS.get(str(t.get("kind")), "•")
            style = "bold" if t["id"] == item["id"] else ""
            text.append(f"{mark} {names.get(str(t.get('author')), '?')}", style="bold")
            text.append(f" · {t.get('kind') or 'comment'} · {str(t.get('at') or '')[:16]}\n", "dim")
            text.append(f"  {t.get('text') or ''}\n", style=style)
        box.update(text)

    def action_toggle_filter(self) -> None:
        self.unresolved_only = not self.unresolved_only
        self.reload()

    async def action_resolve(self) -> None:
        item = self.current
        if item is None:
            return
        resolved = not item.get("resolved")
        await self.run_op(
            "resolve_feedback",
            feedback_id=str(item["id"]),
            resolved=resolved,
            done="Resolved (u undoes)" if resolved else "Reopened",
        )

    def action_reply(self) -> None:
        item = self.current
        if item is None:
            return
        target = item.get("target")
        title = self.targets.get(str(target), ("", "the workspace"))[1]

        async def submit(fields: dict[str, Any]) -> Any:
            return await self.backend.call(
                "give_feedback",
                target_id=target,
                text=fields.get("text") or "",
                kind=fields.get("kind") or "comment",
            )

        form = RecordForm(
            "feedback",
            submit=submit,
            choices=lambda ref, current: [],
            values={"kind": "comment"},
            hidden={"target", "author", "resolved"},
            title=f"Reply about “{title}”",
        )

        def finished(result: Any) -> None:
            if result:
                self.notify("Reply added", markup=False)

        self.app.push_screen(form, finished)

    def action_open_target(self) -> None:
        item = self.current
        if item is None:
            return
        target = str(item.get("target"))
        coll, _ = self.targets.get(target, ("", ""))
        goal = target if coll == "goals" else None
        if goal is None and coll:
            found = self.reader.get(target)
            value = found[1].get("goal") if found else None
            goal = value if isinstance(value, str) else None
        if goal is None:
            self.notify("This feedback is not about a goal", severity="warning")
            return
        self.post_message(GoalOpened(goal))
