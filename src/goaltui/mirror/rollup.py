"""Stored progress in the mirror: all of it after a rebuild, or just what a change touches.

A rebuild calls the model's :func:`compute_progress` over every record. An incremental
update reads only the rows it needs (through indexes) and recomputes bottom-up: KPIs
first (with ``compute_progress`` itself on the KPI and its check-ins), then the touched
goals and their ancestors from the deepest to the roots, with the same rules as
``compute_progress`` (archived left out, child goals weight 1, parent loops cut so that
each goal on a loop counts as a root). A property test checks both paths agree.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from goaltui.mirror.tables import TABLES, decode_value
from goaltui.model.alignment import compute_progress, latest_checkins
from goaltui.model.progress import goal_progress
from goaltui.model.records import Record
from goaltui.model.rollup import latest_checkins_and_values, progress_and_loops

__all__ = [
    "LOOPS_KEY",
    "CheckinFacts",
    "checkin_facts",
    "derived_columns",
    "derived_from_facts",
    "recompute",
    "store_loops",
]

_UPDATE_KPI = (
    "UPDATE kpis SET progress = ?, current = ?, current_at = ?, last_checkin_at = ? WHERE id = ?"
)


CheckinFacts = dict[str, tuple[Any, Any, Any]]
"""KPI id → (current value, its check-in's ``at``, the latest check-in's ``at``)."""


def checkin_facts(checkins: Iterable[Record]) -> CheckinFacts:
    """What the derived columns need from the check-ins, per KPI (plain values, picklable)."""
    latest, with_value = latest_checkins_and_values(checkins)
    facts: CheckinFacts = {}
    for kpi_id in latest.keys() | with_value.keys():
        valued = with_value.get(kpi_id)
        current = None if valued is None else float(valued.data["value"])
        facts[kpi_id] = (current, _at(valued), _at(latest.get(kpi_id)))
    return facts


LOOPS_KEY = "loops"
"""``mirror_meta`` key of the live goals on a parent loop (a JSON list; absent: none).

Such a loop can only come from a merge (every edit is checked); the roll-up counts its
goals as roots, and so does the TUI's tree, which reads this instead of walking every
goal's ancestors."""

Derived = tuple[dict[str, tuple[Any, ...]], dict[str, tuple[Any, ...]], set[str]]
"""Goal and KPI derived columns by id, and the goals on a parent loop."""


def store_loops(conn: sqlite3.Connection, loops: Iterable[str]) -> None:
    """Record the goals on a parent loop (none: the key is removed)."""
    members = sorted(loops)
    if members:
        conn.execute(
            "INSERT OR REPLACE INTO mirror_meta (key, value) VALUES (?, ?)",
            (LOOPS_KEY, json.dumps(members)),
        )
    else:
        conn.execute("DELETE FROM mirror_meta WHERE key = ?", (LOOPS_KEY,))


def stored_loops(conn: sqlite3.Connection) -> set[str]:
    """The goals recorded as on a parent loop."""
    row = conn.execute("SELECT value FROM mirror_meta WHERE key = ?", (LOOPS_KEY,)).fetchone()
    return set(json.loads(row[0])) if row is not None else set()


def derived_columns(
    goals: Sequence[Record], kpis: Sequence[Record], checkins: Sequence[Record]
) -> Derived:
    """Every goal's and KPI's derived columns (``tables.DERIVED`` order), by id.

    Computed by the model's :func:`compute_progress` over all records, so that a rebuild
    writes each row once, derived columns included.
    """
    return derived_from_facts(goals, kpis, checkin_facts(checkins))


def derived_from_facts(
    goals: Sequence[Record], kpis: Sequence[Record], facts: CheckinFacts
) -> Derived:
    """:func:`derived_columns` from the check-ins' facts instead of the check-ins."""
    current = {k: value for k, (value, _, _) in facts.items() if value is not None}
    progress, loops = progress_and_loops(goals, kpis, (), values=current)
    none = (None, None, None)
    kpi_columns = {kpi.id: (progress.get(kpi.id), *facts.get(kpi.id, none)) for kpi in kpis}
    goal_columns = {goal.id: (progress.get(goal.id),) for goal in goals}
    return goal_columns, kpi_columns, loops


def recompute(
    conn: sqlite3.Connection, kpis: Iterable[str], goals: Iterable[str], *, structural: bool = True
) -> None:
    """Refresh ``kpis`` (current value, progress), then ``goals`` and their ancestors.

    With ``structural=False`` (no goal was added, removed or moved, so the tree and its
    loops are as before) a goal is recomputed only when it was touched or a child's
    progress changed, so a check-in usually stops after a level or two.
    """
    dirty = set(goals)
    for kpi_id in sorted(set(kpis)):
        changed, owner = _refresh_kpi(conn, kpi_id)
        if owner and (changed or structural):
            dirty.add(owner)
    tree = _Tree(conn)
    for goal_id in dirty:
        tree.walk_up(goal_id)
    dirty |= tree.on_loop
    if structural:
        _update_loops(conn, tree)
    for goal_id in sorted(tree.nodes, key=lambda g: (-tree.depth(g), g)):
        if not structural and goal_id not in dirty:
            continue
        if _refresh_goal(conn, tree, goal_id) or structural:
            parent = tree.parent.get(goal_id)
            if parent is not None and goal_id not in tree.on_loop:
                dirty.add(parent)


def _update_loops(conn: sqlite3.Connection, tree: _Tree) -> None:
    """Keep the recorded loop members true: the ones met while walking up from the
    touched goals, and the earlier ones that are still on a loop."""
    before = stored_loops(conn)
    now = {g for g in before | tree.on_loop if tree.on_a_loop(g)}
    if now != before:
        store_loops(conn, now)


def _refresh_kpi(conn: sqlite3.Connection, kpi_id: str) -> tuple[bool, str | None]:
    """Store the KPI's current value and progress; return (progress changed, its goal id)."""
    kpi = _record(conn, "kpis", "SELECT * FROM kpis WHERE id = ?", kpi_id)
    if kpi is None:
        return False, None
    checkins = [
        Record("checkins", i, {"kpi": kpi_id, "at": at, "value": value})
        for i, at, value in conn.execute(
            "SELECT id, at, value FROM checkins WHERE kpi = ?", (kpi_id,)
        )
    ]
    progress = compute_progress([], [kpi], checkins).get(kpi_id)
    with_value = _latest_with_value(checkins).get(kpi_id)
    values = (
        progress,
        None if with_value is None else float(with_value["value"]),
        _at(with_value),
        _at(latest_checkins(checkins).get(kpi_id)),
    )
    old = tuple(kpi.get(name) for name in ("progress", "current", "current_at", "last_checkin_at"))
    if values != old:
        conn.execute(_UPDATE_KPI, (*values, kpi_id))
    goal = kpi.get("goal")
    return progress != kpi.get("progress"), goal if isinstance(goal, str) else None


class _Tree:
    """The part of the live goal tree above the touched goals, read lazily from the mirror."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.parent: dict[str, str | None] = {}  # live goal → live parent (None: root)
        self.nodes: set[str] = set()  # goals whose progress is recomputed
        self.on_loop: set[str] = set()
        self._depths: dict[str, int] = {}
        self._rows: dict[str, tuple[bool, str | None]] = {}
        self.progress: dict[str, float | None] = {}  # as stored before this update

    def _live(self, goal_id: str) -> tuple[bool, str | None]:
        """(is the goal live, its raw parent id), read once per goal."""
        if goal_id not in self._rows:
            row = self.conn.execute(
                "SELECT parent, archived, progress FROM goals WHERE id = ?", (goal_id,)
            ).fetchone()
            live = row is not None and not _truthy(row[1])
            parent = row[0] if live and isinstance(row[0], str) else None
            self._rows[goal_id] = (live, parent)
            self.progress[goal_id] = row[2] if row is not None else None
        return self._rows[goal_id]

    def live_parent(self, goal_id: str) -> tuple[bool, str | None]:
        """(is the goal live, its parent if that one is live too)."""
        live, parent = self._live(goal_id)
        if parent is not None and not self._live(parent)[0]:
            parent = None
        self.parent[goal_id] = parent
        return live, parent

    def walk_up(self, goal_id: str) -> None:
        """Mark the goal and its ancestors; a loop met on the way is marked whole, then cut."""
        path: list[str] = []
        node: str | None = goal_id
        while node is not None:
            live, parent = self.live_parent(node)
            if not live:
                self.conn.execute("UPDATE goals SET progress = NULL WHERE id = ?", (node,))
                return
            if node in path:
                loop = path[path.index(node) :]
                self.on_loop.update(loop)
                self.nodes.update(loop)
                return
            if node in self.on_loop:
                self.nodes.add(node)
                return
            path.append(node)
            self.nodes.add(node)
            node = parent

    def on_a_loop(self, goal_id: str) -> bool:
        """Whether following live parents from the goal comes back to it."""
        seen: set[str] = set()
        node: str | None = goal_id
        while node is not None and node not in seen:
            seen.add(node)
            live, node = self.live_parent(node)
            if not live:
                return False
        return node == goal_id

    def depth(self, goal_id: str) -> int:
        """Hops to a root or a loop (loop members are roots); children sort deeper."""
        if goal_id not in self._depths:
            parent = self.parent.get(goal_id)
            on_loop = goal_id in self.on_loop
            self._depths[goal_id] = 0 if parent is None or on_loop else self.depth(parent) + 1
        return self._depths[goal_id]

    def counts_for_parent(self, child_id: str) -> bool:
        return child_id not in self.on_loop


def _refresh_goal(conn: sqlite3.Connection, tree: _Tree, goal_id: str) -> bool:
    """Recompute one goal from its KPIs and child goals; return whether it changed."""
    parts: list[tuple[float | None, float | None]] = []
    for kind, part_id, progress, weight, archived in conn.execute(
        "SELECT 'k', id, progress, weight, archived FROM kpis WHERE goal = ?1 "
        "UNION ALL SELECT 'g', id, progress, NULL, archived FROM goals WHERE parent = ?1",
        (goal_id,),
    ):
        if _truthy(archived):
            continue
        if kind == "k":
            parts.append((progress, _weight(weight)))
        elif tree.counts_for_parent(part_id):
            parts.append((progress, 1.0))
    progress = _clamp(goal_progress(parts))
    if progress == tree.progress.get(goal_id):
        return False
    conn.execute("UPDATE goals SET progress = ? WHERE id = ?", (progress, goal_id))
    return True


def _record(conn: sqlite3.Connection, collection: str, sql: str, record_id: str) -> Record | None:
    cur = conn.execute(sql, (record_id,))
    row = cur.fetchone()
    if row is None:
        return None
    types = {c.name: c.field_type for c in TABLES[collection].columns}
    data = {
        d[0]: decode_value(v, types.get(d[0]))
        for d, v in zip(cur.description, row, strict=True)
        if d[0] != "id" and v is not None
    }
    return Record(collection, record_id, data)


def _latest_with_value(checkins: Iterable[Record]) -> dict[str, Record]:
    """Each KPI's latest check-in that has a value (the one ``current_values`` reads)."""
    return latest_checkins(c for c in checkins if _finite(c.data.get("value")))


def _at(record: Record | None) -> Any:
    return None if record is None else record.data.get("at")


def _finite(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _truthy(value: object) -> bool:
    return bool(decode_value(value, None))


def _weight(value: object) -> float | None:
    """As ``compute_progress``: a KPI weight that is not a number ≥ 0 counts as 1."""
    if not _finite(value):
        return None
    weight = float(value)  # type: ignore[arg-type]
    return None if weight < 0 else weight


def _clamp(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return min(1.0, max(0.0, value))
