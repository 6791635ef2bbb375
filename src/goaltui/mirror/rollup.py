"""Stored progress in the mirror: recomputed for just the KPIs and goals a change touches.

The numbers come from the model's functions (``goaltui.model.progress``), fed from the
mirror's own rows through indexes, bottom-up: KPIs first, then goals from the deepest
to the roots, so each goal sees its children's fresh progress.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from goaltui.model.progress import goal_progress, kpi_progress

__all__ = ["full_progress", "recompute"]

_MAX_DEPTH = 64


def recompute(conn: sqlite3.Connection, kpis: Iterable[str], goals: Iterable[str]) -> None:
    """Refresh ``kpis`` (current value, progress), then ``goals`` and all their ancestors."""
    goal_ids = set(goals)
    for kpi_id in sorted(set(kpis)):
        owner = _refresh_kpi(conn, kpi_id)
        if owner:
            goal_ids.add(owner)
    depths = _with_ancestors(conn, goal_ids)
    for goal_id in sorted(depths, key=lambda g: (-depths[g], g)):
        _refresh_goal(conn, goal_id)


def full_progress(conn: sqlite3.Connection) -> None:
    """Compute every KPI's and goal's progress (after a rebuild)."""
    kpis = [r[0] for r in conn.execute("SELECT id FROM kpis")]
    goals = [r[0] for r in conn.execute("SELECT id FROM goals")]
    recompute(conn, kpis, goals)


def _refresh_kpi(conn: sqlite3.Connection, kpi_id: str) -> str | None:
    """Store the KPI's latest check-in and progress; return its goal id."""
    row = conn.execute(
        "SELECT goal, baseline, target, direction FROM kpis WHERE id = ?", (kpi_id,)
    ).fetchone()
    if row is None:
        return None
    goal, baseline, target, direction = row
    latest = conn.execute(
        "SELECT value, at FROM checkins WHERE kpi = ? AND value IS NOT NULL "
        "ORDER BY at DESC, id DESC LIMIT 1",
        (kpi_id,),
    ).fetchone()
    current, current_at = latest if latest else (None, None)
    progress = kpi_progress(_num(baseline), _num(target), _num(current), direction)
    conn.execute(
        "UPDATE kpis SET progress = ?, current = ?, current_at = ? WHERE id = ?",
        (progress, current, current_at, kpi_id),
    )
    return str(goal) if goal else None


def _refresh_goal(conn: sqlite3.Connection, goal_id: str) -> None:
    parts: list[tuple[float | None, float | None]] = [
        (p, _num(w))
        for p, w in conn.execute(
            "SELECT progress, weight FROM kpis WHERE goal = ? AND coalesce(archived, 0) = 0",
            (goal_id,),
        )
    ]
    parts += [
        (p, None)
        for (p,) in conn.execute(
            "SELECT progress FROM goals WHERE parent = ? AND coalesce(archived, 0) = 0 AND id <> ?",
            (goal_id, goal_id),
        )
    ]
    conn.execute("UPDATE goals SET progress = ? WHERE id = ?", (goal_progress(parts), goal_id))


def _with_ancestors(conn: sqlite3.Connection, goal_ids: set[str]) -> dict[str, int]:
    """The goals and their ancestors, each with its depth (0 = root), cycles cut."""
    parents: dict[str, str | None] = {}
    pending = list(goal_ids)
    while pending:
        goal_id = pending.pop()
        if goal_id in parents:
            continue
        row = conn.execute("SELECT parent FROM goals WHERE id = ?", (goal_id,)).fetchone()
        if row is None:
            continue
        parent = row[0] or None
        parents[goal_id] = parent
        if parent is not None and parent not in parents:
            pending.append(parent)
    depths: dict[str, int] = {}
    for goal_id in parents:
        depth, node, seen = 0, parents.get(goal_id), {goal_id}
        while node is not None and node in parents and node not in seen and depth < _MAX_DEPTH:
            seen.add(node)
            depth += 1
            node = parents.get(node)
        depths[goal_id] = depth
    return depths


def _num(value: object) -> float | None:
    """A stored number as float; anything else (text from a bad merge) as None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None
