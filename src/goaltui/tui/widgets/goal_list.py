"""A virtual list of alignment-tree rows: only the rows on screen are ever drawn.

Given an :class:`AlignmentModel` (attribute down); posts ``Highlighted`` when the
cursor lands on a goal and ``Opened`` on enter (messages up).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from goaltui.tui.render import blocks, fit, percent, status_mark, warning_marks
from goaltui.tui.tree_model import AlignmentModel, TreeRow

__all__ = ["GoalList"]

STRIP_CACHE = 1000
"""Rows whose drawn line is kept (a few pages)."""

_DrawnFrom = tuple[object, object, tuple[object, ...]]
"""A row's goal dict and warnings (compared by identity) and its shape."""


def _same(drawn: object, now: object) -> bool:
    return drawn is now or drawn == now


class GoalList(ScrollView, can_focus=True):
    """Goals as an expandable tree, one line each, drawn from the mirror page by page."""

    DEFAULT_CSS = """
    GoalList { height: 1fr; overflow-x: hidden; }
    GoalList > .goal-list--cursor { background: $accent 40%; text-style: bold; }
    GoalList > .goal-list--warning { color: $warning; }
    GoalList > .goal-list--dim { color: $text-muted; }
    GoalList > .goal-list--bar { color: $success; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "goal-list--cursor",
        "goal-list--warning",
        "goal-list--dim",
        "goal-list--bar",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="list.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="list.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list.page_down"),
        Binding("home", "home", "First", show=False, id="list.first"),
        Binding("end", "end", "Last", show=False, id="list.last"),
        Binding("right,l", "expand", "Expand", show=False, id="list.expand"),
        Binding("left,h", "collapse", "Collapse", show=False, id="list.collapse"),
        Binding("space", "toggle_row", "Expand/collapse", id="list.toggle"),
        Binding("enter", "open", "Open", id="list.open"),
    ]

    cursor = reactive(0, always_update=True, repaint=False)

    class Highlighted(Message):
        """The cursor moved to another goal."""

        def __init__(self, goal_id: str | None) -> None:
            super().__init__()
            self.goal_id = goal_id

    class Opened(Message):
        """The user asked to open a goal."""

        def __init__(self, goal_id: str) -> None:
            super().__init__()
            self.goal_id = goal_id

    def __init__(self, model: AlignmentModel, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        # (goal id, selected) → (what the row was drawn from, its strip): a scroll by a
        # third of a page then draws only the rows it brings into view.
        self._strips: dict[tuple[str, bool], tuple[_DrawnFrom, Strip]] = {}
        self._base: Style | None = None

    # --- data in ------------------------------------------------------------------------

    def refresh_rows(self, select: str | None = None) -> None:
        """Re-measure after the model changed; keep the cursor on ``select`` if shown."""
        if select is not None:
            index = self.model.index_of(select)
            if index is not None:
                self.cursor = index
        self.virtual_size = Size(self.size.width, len(self.model.rows))
        self.cursor = min(self.cursor, max(len(self.model.rows) - 1, 0))
        self.refresh()

    def refresh_rows_at(self, indexes: list[int]) -> None:
        """Repaint only these rows (their data changed in place)."""
        for index in indexes:
            self._refresh_line(index)

    @property
    def current(self) -> TreeRow | None:
        rows = self.model.rows
        return rows[self.cursor] if 0 <= self.cursor < len(rows) else None

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.model.rows))

    def watch_cursor(self, old: int, new: int) -> None:
        if new >= len(self.model.rows) - 5 and self.model.load_more():
            self.virtual_size = Size(self.size.width, len(self.model.rows))
        top = int(self.scroll_offset.y)
        self.scroll_to_region_line(new)
        if int(self.scroll_offset.y) == top:
            self._refresh_line(old)  # only the two rows that changed reach the terminal
            self._refresh_line(new)
        else:
            self.refresh()
        row = self.current
        self.post_message(self.Highlighted(row.id if row else None))

    def _refresh_line(self, index: int) -> None:
        y = index - int(self.scroll_offset.y)
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def scroll_to_region_line(self, line: int) -> None:
        top = int(self.scroll_offset.y)
        height = max(self.size.height, 1)
        jump = max(height // 3, 1)  # scroll by a third of a page: fewer full repaints over SSH
        if line < top:
            self.scroll_to(y=max(line - jump + 1, 0), animate=False)
        elif line >= top + height:
            self.scroll_to(y=line - height + jump, animate=False)

    # --- actions ------------------------------------------------------------------------

    def _move(self, to: int) -> None:
        if self.model.rows:
            self.cursor = min(max(to, 0), len(self.model.rows) - 1)

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * max(self.size.height - 1, 1))

    def action_home(self) -> None:
        self._move(0)

    def action_end(self) -> None:
        while self.model.load_more():
            pass
        self.virtual_size = Size(self.size.width, len(self.model.rows))
        self._move(len(self.model.rows) - 1)

    def action_expand(self) -> None:
        if self.model.rows and self.model.expand(self.cursor):
            self.refresh_rows()

    def action_collapse(self) -> None:
        if self.model.rows:
            self.cursor = self.model.collapse(self.cursor)
            self.refresh_rows()

    def action_toggle_row(self) -> None:
        row = self.current
        if row is not None and row.expanded:
            self.action_collapse()
        else:
            self.action_expand()

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(row.id))

    # --- drawing ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        top = int(self.scroll_offset.y)
        index = top + y
        width = self.size.width
        if self._base is None:
            self._base = self.rich_style  # walks the ancestors' styles: once, not per line
        base = self._base
        if index >= len(self.model.rows):
            if index == 0:
                return self._text_strip(Text("  No goals yet — press a to add one."), width, base)
            return Strip.blank(width, base)
        row = self.model.rows[index]
        if self.model.warnings(row) is None:  # facts of the whole page, in one go
            self.model.ensure_facts(top, top + self.size.height)
        selected = index == self.cursor
        # The goal's dict and warnings by value: a rebuild after a change brings new
        # dicts for every row, most of them equal to what was drawn (comparing ~25
        # fields costs microseconds; drawing a row costs a fraction of a millisecond).
        warnings = self.model.warnings(row)
        shape = (row.depth, row.expanded, row.child_count, width, base)
        cached = self._strips.get((row.id, selected))
        if cached is not None:
            (goal, found, drawn_shape), strip = cached
            if drawn_shape == shape and _same(goal, row.goal) and _same(found, warnings):
                return strip
        style = self.get_component_rich_style("goal-list--cursor") if selected else None
        strip = self._text_strip(self._row_text(row, width, selected), width, base, style)
        if len(self._strips) > STRIP_CACHE:
            self._strips.clear()
        self._strips[(row.id, selected)] = ((row.goal, warnings, shape), strip)
        return strip

    def notify_style_update(self) -> None:
        self._strips.clear()  # the theme changed: every row is drawn again
        self._base = None
        super().notify_style_update()

    def _text_strip(self, text: Text, width: int, base: Style, over: Style | None = None) -> Strip:
        segments = list(text.render(self.app.console))
        strip = Strip(segments).crop_extend(0, width, base)
        strip = strip.apply_style(base)
        if over is not None:
            strip = Strip(Segment.apply_style(strip, post_style=over))
        return strip.simplify()  # one escape sequence per run of equal style: fewer bytes

    def _row_text(self, row: TreeRow, width: int, selected: bool) -> Text:
        goal = row.goal
        warnings = self.model.warnings(row) or []
        dim = self.get_component_rich_style("goal-list--dim")
        show_owner, show_due = width >= 100, width >= 60
        fixed = 1 + 2 + 2 + 8 + (13 if show_owner else 0) + (11 if show_due else 0) + 16
        title_width = max(width - fixed - row.depth * 2, 8)
        text = Text("›" if selected else " ")
        text.append("  " * row.depth)
        marker = "▾ " if row.expanded else ("▸ " if row.child_count else "  ")
        text.append(marker)
        text.append(status_mark(goal.get("status")) + " ")
        text.append(fit(str(goal.get("title") or "(untitled)"), title_width))
        marks = warning_marks([w.code for w in warnings])
        if marks:
            text.append(fit(f" ⚠{marks}", 8), self.get_component_rich_style("goal-list--warning"))
        else:
            text.append(" " * 8)
        if show_owner:
            text.append(" " + fit(self.model.name(goal.get("owner")), 12), style=dim)
        if show_due:
            text.append(" " + fit(str(goal.get("due") or ""), 10), style=dim)
        progress = goal.get("progress")
        text.append(" ")
        text.append(blocks(progress, 10), style=self.get_component_rich_style("goal-list--bar"))
        text.append(" " + percent(progress))
        return text
