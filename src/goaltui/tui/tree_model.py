"""The alignment tree as a flat list of visible rows, loaded lazily from the mirror.

Only the first page of top-level goals is read at start; children are read when a
goal is expanded; warnings and owner names are computed for the rows on screen.
That keeps the first frame flat in the size of the workspace. After a change the
rows are rebuilt by :meth:`AlignmentModel.snapshot` on another connection (in a
thread worker), and swapped in with :meth:`AlignmentModel.apply`; the rows of the
goals a change names are re-read in place at once (:meth:`AlignmentModel.refresh_goals`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from goaltui.mirror.read import MirrorReader, quote
from goaltui.model.goal_warning import GoalWarning
from goaltui.tui.data import batch_warnings, names_of

__all__ = ["SORTS", "AlignmentModel", "TreeRow"]

PAGE = 200
FIRST_PAGE = 60
"""Top-level rows read for the first frame (a screenful or two); the rest on demand."""

SORTS: dict[str, str] = {
    "title": "title COLLATE NOCASE, id",
    "due": "due IS NULL, due, title COLLATE NOCASE, id",
    "progress": "progress IS NULL, progress DESC, title COLLATE NOCASE, id",
    "priority": "priority IS NULL, priority, title COLLATE NOCASE, id",
    "status": "status IS NULL, status, title COLLATE NOCASE, id",
}
_LIVE = "coalesce(archived, 0) = 0"
# Parents that do not count: archived or missing. Through the parent index (distinct
# parents, then one primary-key lookup each), not a scan of every goal.
_BAD_PARENTS = (
    "SELECT d.parent FROM (SELECT DISTINCT parent FROM {t} WHERE parent IS NOT NULL) d "
    "WHERE NOT EXISTS (SELECT 1 FROM {t} p WHERE p.id = d.parent AND coalesce(p.archived, 0) = 0)"
)


@dataclass
class TreeRow:
    """One visible goal: its mirror row, depth, and whether it has children."""

    goal: dict[str, Any]
    depth: int
    child_count: int
    expanded: bool = False
    path: str = ""

    @property
    def id(self) -> str:
        return str(self.goal["id"])


@dataclass
class _Facts:
    warnings: dict[str, list[GoalWarning]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)


@dataclass
class Snapshot:
    """Rows rebuilt off the event loop, for :meth:`AlignmentModel.apply`."""

    shape: int
    rows: list[TreeRow]
    more: bool
    loaded_tops: int
    facts: _Facts
    loops: list[str]  # goals on a parent loop when the rows were read


class AlignmentModel:
    """Visible rows of the tree (or of a filter's matches), sorted and lazily expanded."""

    def __init__(self, reader: MirrorReader) -> None:
        self.reader = reader
        self.rows: list[TreeRow] = []
        self.expanded: set[str] = set()
        self.sort = "title"
        self.filter = ""
        self.more = False
        self._loaded_tops = 0
        self._facts = _Facts()
        self._table = quote(reader.table_name("goals"))
        self._loops: list[str] = []  # goals on a parent loop, read with the top rows
        self.shape = 0  # bumped by every change of shape (expand, sort, filter, reload)

    # --- loading ----------------------------------------------------------------------

    def reload(self, count: int | None = None) -> None:
        """Re-read everything visible (after a change), keeping what was expanded."""
        self.apply(self.snapshot(self.reader, count=count))

    def snapshot(
        self, reader: MirrorReader, *, count: int | None = None, facts: tuple[int, int] = (0, 0)
    ) -> Snapshot:
        """The rows as they are now in the mirror, read through ``reader`` (any thread).

        Reads as many top-level rows as are loaded (``count`` at least), and the
        facts of rows ``facts[0]``..``facts[1]``; touches no state of this model.
        """
        shadow = AlignmentModel.__new__(AlignmentModel)
        shadow.reader, shadow._table = reader, self._table
        shadow.rows, shadow._loaded_tops, shadow.more, shadow._facts = [], 0, False, _Facts()
        shadow.expanded, shadow.sort, shadow.filter = set(self.expanded), self.sort, self.filter
        shadow._load_tops(max(self._loaded_tops, count or FIRST_PAGE))
        shadow.ensure_facts(*facts)
        return Snapshot(
            self.shape, shadow.rows, shadow.more, shadow._loaded_tops, shadow._facts, shadow._loops
        )

    def apply(self, snap: Snapshot) -> bool:
        """Take rows from :meth:`snapshot`; False (nothing done) if the shape changed since."""
        if snap.shape != self.shape:
            return False
        self.rows, self.more, self._loaded_tops = snap.rows, snap.more, snap.loaded_tops
        self._facts, self._loops = snap.facts, snap.loops
        return True

    def refresh_goals(self, ids: set[str]) -> list[int]:
        """Re-read the shown rows of these goals in place; the indexes that changed."""
        where = [i for i, r in enumerate(self.rows) if r.id in ids]
        if not where:
            return []
        wanted = sorted({self.rows[i].id for i in where})
        found = {
            str(r["id"]): r
            for r in self.reader.list_records("goals", where={"id": wanted}, include_archived=True)
        }
        for i in where:
            row = self.rows[i]
            if row.id in found:
                row.goal = found[row.id]
            self._facts.warnings.pop(row.id, None)
        return where

    def load_more(self) -> bool:
        """Read the next page of top-level rows; False when there were none."""
        if not self.more:
            return False
        self.bump()
        self._load_tops(PAGE)
        return True

    def bump(self) -> None:
        """The shape changed: a snapshot taken before is stale."""
        self.shape += 1

    def _load_tops(self, count: int) -> None:
        self._loops = self.reader.loop_members()  # roots too (a merge can make a loop)
        if self.filter:
            pattern = "%" + self.filter.replace("\\", "\\\\").replace("%", "\\%")
            pattern = pattern.replace("_", "\\_") + "%"
            where = f"{_LIVE} AND title LIKE ? ESCAPE '\\'"
            params: list[object] = [pattern]
        else:
            bad = _BAD_PARENTS.format(t=self._table)
            marks = ", ".join("?" for _ in self._loops)
            on_loop = f" OR id IN ({marks})" if self._loops else ""
            where = f"{_LIVE} AND (parent IS NULL OR parent IN ({bad}){on_loop})"
            params = list(self._loops)
        sql = (
            f"SELECT id FROM {self._table} g WHERE {where} ORDER BY {SORTS[self.sort]} "
            "LIMIT ? OFFSET ?"
        )
        _, found = self.reader.query(sql, [*params, count + 1, self._loaded_tops])
        ids = [str(r[0]) for r in found[:count]]
        self.more = len(found) > count
        self._loaded_tops += len(ids)
        for row in self._rows_for(ids, 0):
            self._append_subtree(self.rows, row)

    def _rows_for(self, ids: list[str], depth: int) -> list[TreeRow]:
        if not ids:
            return []
        found = {str(r["id"]): r for r in self.reader.list_records("goals", where={"id": ids})}
        counts = self._child_counts(ids)
        return [TreeRow(found[i], depth, counts.get(i, 0)) for i in ids if i in found]

    def _not_on_loop(self) -> tuple[str, list[str]]:
        """SQL (and its parameters) leaving out goals on a parent loop: they are roots,
        not children of the goal before them on the loop."""
        if not self._loops:
            return "", []
        return f" AND id NOT IN ({', '.join('?' for _ in self._loops)})", self._loops

    def _child_counts(self, ids: list[str]) -> dict[str, int]:
        marks = ", ".join("?" for _ in ids)
        not_looped, loops = self._not_on_loop()
        _, found = self.reader.query(
            f"SELECT parent, count(*) FROM {self._table} WHERE parent IN ({marks}) "
            f"AND {_LIVE}{not_looped} GROUP BY parent",
            [*ids, *loops],
        )
        return {str(p): int(n) for p, n in found}

    def _children(self, row: TreeRow) -> list[TreeRow]:
        not_looped, loops = self._not_on_loop()
        _, found = self.reader.query(
            f"SELECT id FROM {self._table} WHERE parent = ? AND {_LIVE}{not_looped} "
            f"ORDER BY {SORTS[self.sort]}",
            [row.id, *loops],
        )
        return self._rows_for([str(r[0]) for r in found], row.depth + 1)

    def _append_subtree(self, out: list[TreeRow], row: TreeRow) -> None:
        out.append(row)
        if row.id in self.expanded and row.child_count and not self.filter:
            row.expanded = True
            for child in self._children(row):
                self._append_subtree(out, child)

    # --- shape --------------------------------------------------------------------------

    def set_sort(self, sort: str) -> None:
        self.sort = sort
        self.bump()
        self.reload()

    def set_filter(self, text: str) -> None:
        self.filter = text.strip()
        self._loaded_tops = 0
        self.bump()
        self.reload()

    def expand(self, index: int) -> bool:
        """Show the children of row ``index``; False if it has none or is open."""
        row = self.rows[index]
        if row.expanded or not row.child_count or self.filter:
            return False
        self.expanded.add(row.id)
        self.bump()
        block: list[TreeRow] = []
        self._append_subtree(block, TreeRow(row.goal, row.depth, row.child_count))
        self.rows[index : index + 1] = block
        return True

    def collapse(self, index: int) -> int:
        """Hide the children of row ``index`` (or go to its parent); the row to select."""
        row = self.rows[index]
        if not row.expanded:
            return self.parent_index(index)
        self.expanded.discard(row.id)
        self.bump()
        row.expanded = False
        end = index + 1
        while end < len(self.rows) and self.rows[end].depth > row.depth:
            end += 1
        del self.rows[index + 1 : end]
        return index

    def parent_index(self, index: int) -> int:
        depth = self.rows[index].depth
        for i in range(index - 1, -1, -1):
            if self.rows[i].depth < depth:
                return i
        return index

    def index_of(self, goal_id: str) -> int | None:
        for i, row in enumerate(self.rows):
            if row.id == goal_id:
                return i
        return None

    def reveal(self, goal_id: str) -> int | None:
        """Expand the ancestors of ``goal_id`` so that it shows; its index or None."""
        chain: list[str] = []
        current = self.reader.get(goal_id)
        while current is not None and current[0] == "goals":
            parent = current[1].get("parent")
            if not isinstance(parent, str) or parent in chain:
                break
            chain.append(parent)
            current = self.reader.get(parent)
        for ancestor in reversed(chain):
            index = self.index_of(ancestor)
            if index is not None:
                self.expand(index)
        return self.index_of(goal_id)

    # --- facts for the rows on screen ---------------------------------------------------

    def warnings(self, row: TreeRow) -> list[GoalWarning] | None:
        return self._facts.warnings.get(row.id)

    def name(self, person_id: Any) -> str:
        return self._facts.names.get(str(person_id), "") if person_id else ""

    def ensure_facts(self, start: int, end: int) -> None:
        """Compute warnings and owner names for rows ``start``..``end`` not yet known."""
        rows = [r for r in self.rows[max(start, 0) : end] if r.id not in self._facts.warnings]
        if not rows:
            return
        counts = {r.id: r.child_count for r in rows}
        self._facts.warnings.update(batch_warnings(self.reader, [r.goal for r in rows], counts))
        owners = {r.goal.get("owner") for r in rows} - set(self._facts.names)
        self._facts.names.update(names_of(self.reader, owners))
