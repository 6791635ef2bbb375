"""Screen 2, the alignment tree: strategic → team → individual goals, with warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input, Static

from goaltui.mirror.read import MirrorReader
from goaltui.tui.backend import Backend, Change
from goaltui.tui.messages import GoalOpened
from goaltui.tui.render import WARNING_MARKS, bar
from goaltui.tui.screens.base import WorkspaceScreen
from goaltui.tui.tree_model import SORTS, AlignmentModel, Snapshot
from goaltui.tui.widgets.goal_list import GoalList
from goaltui.tui.widgets.key_bar import KeyBar
from goaltui.tui.widgets.title_bar import TitleBar

__all__ = ["AlignmentScreen"]


class AlignmentScreen(WorkspaceScreen):
    """Goals as a tree; expand, filter, sort, add, edit, move; enter opens a goal."""

    TITLE_TEXT = "2 Alignment"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="alignment.filter"),
        Binding("s", "sort", "Sort", id="alignment.sort"),
        Binding("a", "add", "Add goal", id="alignment.add"),
        Binding("c", "add_child", "Add child", id="alignment.add_child"),
        Binding("e", "edit", "Edit", id="alignment.edit"),
        Binding("m", "move", "Move", id="alignment.move"),
        Binding("delete", "archive", "Archive", show=False, id="alignment.archive"),
    ]

    class Rebuilt(Message):
        """Rows were rebuilt from the mirror off the event loop (by a thread worker)."""

        def __init__(self, snapshot: Snapshot, generation: int) -> None:
            super().__init__()
            self.snapshot = snapshot
            self.generation = generation

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.model = AlignmentModel(backend.reader)
        self._worker_reader: MirrorReader | None = None
        self._generation = 0  # of the latest rebuild asked for; older results are dropped
        self._rebuild_due = False  # a rebuild starts after the next frame

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="tree-heading")
        yield GoalList(self.model, id="goals")
        yield Static("", id="status-rule")
        yield Static("", id="status-line")
        yield KeyBar()

    def on_mount(self) -> None:
        if not self._take_first_page():
            self.model.reload()
        goals = self.query_one(GoalList)
        goals.refresh_rows()
        # Focused now, not through the app's queue (``goals.focus()``), which is busy until
        # the app's on_mount returns: the first frame shows the list's keys and cursor.
        self.set_focus(goals, scroll_visible=False)
        # Watched, not heard through GoalList.Highlighted: that message arrives after the
        # list's rows were painted, so the status line would go out as a second frame
        # ~17 ms later. Observing the cursor paints rows and status line in one frame.
        self.watch(goals, "cursor", self._cursor_moved, init=False)
        self._heading()
        self._status(self.selected_id())

    def _take_first_page(self) -> bool:
        """Show the rows a child process read ahead at start, if the mirror is unchanged.

        The app's first page (``tui/prefetch.py``) was read in the mirror state it names;
        the backend found the mirror current when it opened, so the same state means the
        same rows and warnings this screen would read now.
        """
        take = getattr(self.app, "take_first_page", None)
        page = take() if take is not None else None
        return (
            page is not None
            and page.state == self.reader.state()
            and self.model.apply(page.snapshot)
        )

    def on_unmount(self) -> None:
        if self._worker_reader is not None:
            self._worker_reader.close()

    @property
    def goals(self) -> GoalList:
        return self.query_one(GoalList)

    def selected_id(self) -> str | None:
        row = self.goals.current
        return row.id if row else None

    def reload(self) -> None:
        """Rebuild the rows in a thread worker once the next frame is out; swapped in when ready.

        After the next frame, not at once: the rows a change names are re-read in place
        first (:meth:`workspace_changed`), and the frame showing them would otherwise
        wait for the interpreter while the worker builds rows.
        """
        self._generation += 1
        if not self._rebuild_due:
            self._rebuild_due = True
            self.call_after_refresh(self._start_rebuild)

    def _start_rebuild(self) -> None:
        self._rebuild_due = False
        if not self.is_attached:
            return
        goals = self.goals
        top = int(goals.scroll_offset.y)
        self._rebuild(top, top + max(goals.size.height, 1), self._generation)

    def workspace_changed(self, change: Change, *, visible: bool) -> None:
        """Re-read the goals the change names at once, then rebuild the rows off the loop."""
        ids = {i for c, i in change.records if c == "goals"}
        if ids and not change.everything:
            changed = self.model.refresh_goals(ids)
            if changed:
                self.goals.refresh_rows_at(changed)
                if self.selected_id() in ids:
                    self._status(self.selected_id())
        super().workspace_changed(change, visible=visible)

    @work(thread=True, exclusive=True, group="alignment-rebuild", exit_on_error=False)
    def _rebuild(self, start: int, end: int, generation: int) -> None:
        if self._worker_reader is None:
            self._worker_reader = MirrorReader(self.reader.path)
        snapshot = self.model.snapshot(self._worker_reader, facts=(start, end))
        self.post_message(self.Rebuilt(snapshot, generation))

    def on_alignment_screen_rebuilt(self, message: Rebuilt) -> None:
        if message.generation != self._generation:
            return  # a later rebuild is under way
        keep = self.selected_id()
        if not self.model.apply(message.snapshot):
            self.reload()  # expanded, sorted or filtered meanwhile: build again
            return
        self.goals.refresh_rows(select=keep)
        self._status(self.selected_id())

    def _heading(self) -> None:
        shown = f"matching {self.model.filter!r}" if self.model.filter else "tree"
        self.query_one("#tree-heading", Static).update(
            Text(f" Goals ({shown}) · sorted by {self.model.sort} · ? for keys", style="dim")
        )

    # --- messages from the list ----------------------------------------------------------

    def _cursor_moved(self) -> None:
        self._status(self.selected_id())

    def on_goal_list_opened(self, event: GoalList.Opened) -> None:
        self.post_message(GoalOpened(event.goal_id))

    def _status(self, goal_id: str | None) -> None:
        line = self.query_one("#status-line", Static)
        row = self.goals.current
        if goal_id is None or row is None:
            line.update("", layout=False)
            return
        index = self.goals.cursor
        self.model.ensure_facts(index, index + 1)  # the real warnings, from the first frame
        text = Text(" " + str(row.goal.get("title") or ""), style="bold")
        text.append("  ")
        text.append_text(bar(row.goal.get("progress")))
        warnings = self.model.warnings(row) or []
        if warnings:
            marks = (f"⚠ {WARNING_MARKS.get(w.code, '?')} {w.message}" for w in warnings)
            text.append("\n " + " · ".join(marks))
        else:
            text.append("\n ✓ no warnings")
        text.no_wrap, text.overflow = True, "ellipsis"
        line.update(text, layout=False)  # fixed height: no reflow, only these lines are sent

    # --- filter and sort -----------------------------------------------------------------

    def _filter_box(self) -> Input | None:
        found = self.query("#filter")
        return found.first(Input) if found else None

    async def action_filter(self) -> None:
        box = self._filter_box()
        if box is None:  # mounted when first asked for: one widget less in the first frame
            box = Input(placeholder="filter goals by title (enter: done, esc: clear)", id="filter")
            await self.mount(box, before=self.query_one("#tree-heading"))
        box.add_class("shown")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.model.set_filter(event.value)
            self.goals.cursor = 0
            self.goals.refresh_rows()
            self._heading()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            if not event.value:
                event.input.remove_class("shown")
            self.goals.focus()

    def key_escape(self) -> None:
        box = self._filter_box()
        if box is not None and (box.has_focus or self.model.filter):
            box.value = ""
            box.remove_class("shown")
            self.goals.focus()

    def action_sort(self) -> None:
        names = list(SORTS)
        keep = self.selected_id()
        self.model.set_sort(names[(names.index(self.model.sort) + 1) % len(names)])
        self.goals.refresh_rows(select=keep)
        self._heading()

    # --- edits ---------------------------------------------------------------------------

    def choices(self, ref: str, current: Any) -> list[tuple[str, str]]:
        from goaltui.model import collection

        title = collection(ref).title_field
        rows = self.reader.list_records(ref, order_by=title, limit=500)
        return [(str(r.get(title) or r["id"]), str(r["id"])) for r in rows]

    def action_add(self, parent: str | None = None) -> None:
        from goaltui.tui.dialogs.record_form import RecordForm  # not needed for the first frame

        values: dict[str, Any] = {"status": "draft"}
        if parent:
            found = self.reader.get(parent)
            level = found[1].get("level") if found else None
            values.update(parent=parent, level={"strategic": "team"}.get(str(level), "individual"))
        form = RecordForm(
            "goal", submit=self.submitter("add", kind="goal"), choices=self.choices, values=values
        )
        self.app.push_screen(form, self._added)

    def _added(self, new_id: Any) -> None:
        if isinstance(new_id, str):
            self.model.reload()
            index = self.model.reveal(new_id)
            self.goals.refresh_rows(select=new_id if index is not None else None)
            self.notify("Goal added", markup=False)

    def action_add_child(self) -> None:
        self.action_add(parent=self.selected_id())

    def action_edit(self) -> None:
        row = self.goals.current
        if row is None:
            return
        goal_id = row.id
        from goaltui.tui.dialogs.record_form import RecordForm

        async def submit(fields: dict[str, Any]) -> Any:
            return await self.backend.call("edit", record_id=goal_id, fields=fields)

        form = RecordForm(
            "goal", submit=submit, choices=self.choices, values=row.goal, editing=True
        )

        def finished(result: Any) -> None:
            if result:
                self.notify("Goal saved")

        self.app.push_screen(form, finished)

    def goal_search(self, exclude: str) -> Any:
        table = self.reader.table_name("goals")

        def search(text: str) -> list[tuple[str, str]]:
            pattern = "%" + text.replace("%", "").replace("_", "") + "%"
            _, rows = self.reader.query(
                f'SELECT id, title FROM "{table}" WHERE coalesce(archived, 0) = 0 '
                "AND id <> ? AND title LIKE ? ORDER BY title COLLATE NOCASE, id LIMIT 200",
                [exclude, pattern],
            )
            return [(str(t), str(i)) for i, t in rows]

        return search

    def action_move(self) -> None:
        row = self.goals.current
        if row is None:
            return
        from goaltui.tui.dialogs.pick_record import PickRecord

        goal_id, title = row.id, str(row.goal.get("title") or "")
        dialog = PickRecord(
            f"Move “{title}” under…",
            self.goal_search(goal_id),
            none_label="(top level — no parent)",
        )

        async def picked(parent: str | None) -> None:
            if parent is None:
                return
            done = await self.run_op(
                "move_goal", goal_id=goal_id, parent_id=parent or None, done="Goal moved"
            )
            if done:
                self.model.reload()
                self.model.reveal(goal_id)
                self.goals.refresh_rows(select=goal_id)

        self.app.push_screen(dialog, picked)

    async def action_archive(self) -> None:
        goal_id = self.selected_id()
        if goal_id:
            await self.run_op(
                "archive", record_id=goal_id, archived=True, done="Goal archived (u undoes)"
            )
