"""Progress roll-up over a whole workspace, and each KPI's current value.

The mirror, the reports and the TUI call :func:`compute_progress` so that every
number shown is computed the same way, from ``progress.kpi_progress`` and
``progress.goal_progress``. No I/O.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from goaltui.model.dates import instant_key
from goaltui.model.progress import goal_progress, kpi_progress
from goaltui.model.records import Record

__all__ = [
    "checkin_order",
    "compute_progress",
    "current_values",
    "goal_loops",
    "kpi_current_value",
    "latest_checkins",
    "latest_checkins_and_values",
    "progress_and_loops",
]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@lru_cache(maxsize=1 << 16)
def _instant_key(value: str) -> Any:
    """``instant_key`` of a string, remembered: a roll-up reads each ``at`` several times."""
    return instant_key(value)


def checkin_order(record: Record) -> tuple[Any, str]:
    """Sort key of append-only records: ``at`` (unreadable sorts oldest), then id."""
    at = record.data.get("at")
    return (_instant_key(at) if isinstance(at, str) else instant_key(at), record.id)


def _latest(checkins: Iterable[Record], *, with_value: bool) -> dict[str, Record]:
    best: dict[str, tuple[tuple[Any, str], Record]] = {}
    for checkin in checkins:
        kpi = checkin.data.get("kpi")
        if not isinstance(kpi, str) or (with_value and _number(checkin.data.get("value")) is None):
            continue
        order = checkin_order(checkin)
        found = best.get(kpi)
        if found is None or order > found[0]:
            best[kpi] = (order, checkin)
    return {kpi: checkin for kpi, (_, checkin) in best.items()}


def latest_checkins_and_values(
    checkins: Iterable[Record],
) -> tuple[dict[str, Record], dict[str, Record]]:
    """Each KPI's latest check-in, and its latest check-in that has a value, in one pass.

    The same as ``latest_checkins`` and the check-ins ``current_values`` reads, for a
    caller (the mirror's rebuild) that needs both over every check-in.
    """
    latest: dict[str, tuple[tuple[Any, str], Record]] = {}
    valued: dict[str, tuple[tuple[Any, str], Record]] = {}
    for checkin in checkins:
        data = checkin.data
        kpi = data.get("kpi")
        if not isinstance(kpi, str):
            continue
        order = checkin_order(checkin)
        found = latest.get(kpi)
        if found is None or order > found[0]:
            latest[kpi] = (order, checkin)
        if _number(data.get("value")) is not None:
            found = valued.get(kpi)
            if found is None or order > found[0]:
                valued[kpi] = (order, checkin)
    return (
        {kpi: checkin for kpi, (_, checkin) in latest.items()},
        {kpi: checkin for kpi, (_, checkin) in valued.items()},
    )


def latest_checkins(checkins: Iterable[Record]) -> dict[str, Record]:
    """Each KPI's latest check-in: by ``at``, ties broken by the larger id."""
    return _latest(checkins, with_value=False)


def current_values(checkins: Iterable[Record]) -> dict[str, float]:
    """Each KPI's current value: the value of its latest check-in that has one."""
    return {k: float(c["value"]) for k, c in _latest(checkins, with_value=True).items()}


def kpi_current_value(kpi: Record, checkins: Iterable[Record]) -> float | None:
    """The current value of one KPI from a set of check-ins (None before any)."""
    return current_values(c for c in checkins if c.data.get("kpi") == kpi.id).get(kpi.id)


def _clamp(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return min(1.0, max(0.0, value))


def _kpi_weight(kpi: Record) -> float | None:
    weight = _number(kpi.data.get("weight"))
    return None if weight is None or weight < 0 else weight


def _loop_members(parent_of: Mapping[str, str]) -> set[str]:
    """Ids on a loop of the parent relation (each id has at most one parent): O(n)."""
    state: dict[str, bool] = {}  # False while on the current path, True when finished
    members: set[str] = set()
    for start in parent_of:
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in state:
            state[node] = False
            path.append(node)
            node = parent_of.get(node)
        if node is not None and state[node] is False:
            members.update(path[path.index(node) :])
        for visited in path:
            state[visited] = True
    return members


def _live_parents(live: Mapping[str, Record]) -> dict[str, str]:
    """Each live goal's parent, where that one is live too."""
    parent_of: dict[str, str] = {}
    for gid, goal in live.items():
        parent = goal.data.get("parent")
        if isinstance(parent, str) and parent in live:
            parent_of[gid] = parent
    return parent_of


def goal_loops(goals: Iterable[Record]) -> set[str]:
    """The live goals on a parent loop (possible after a merge), as the roll-up finds them."""
    return _loop_members(_live_parents({g.id: g for g in goals if not g.data.get("archived")}))


def compute_progress(
    goals: Iterable[Record],
    kpis: Iterable[Record],
    checkins: Iterable[Record],
    *,
    values: Mapping[str, float] | None = None,
) -> dict[str, float | None]:
    """Progress of every live KPI and goal, by id: :func:`progress_and_loops` without
    the loops."""
    return progress_and_loops(goals, kpis, checkins, values=values)[0]


def progress_and_loops(
    goals: Iterable[Record],
    kpis: Iterable[Record],
    checkins: Iterable[Record],
    *,
    values: Mapping[str, float] | None = None,
) -> tuple[dict[str, float | None], set[str]]:
    """Progress (0–1, or None when nothing is measured) of every live KPI and goal, by id.

    A KPI's progress comes from ``progress.kpi_progress`` with its current value; a
    goal's is ``progress.goal_progress`` over its KPIs (weighted by ``weight``) and
    its child goals (weight 1 each). Archived goals and KPIs are left out, and a
    child of an archived or missing goal counts as a root. Goals on a parent loop
    (possible after concurrent edits) are treated as roots, so the loop is broken
    the same way whatever the input order. O(goals + kpis + check-ins). A caller that
    has each KPI's current value already (``current_values``) passes it as ``values``;
    ``checkins`` is then not read. Also returns the ids of the live goals on a parent
    loop.
    """
    live = {g.id: g for g in goals if not g.data.get("archived")}
    if values is None:
        values = current_values(checkins)
    result: dict[str, float | None] = {}
    parts: dict[str, list[tuple[float | None, float | None]]] = {gid: [] for gid in live}
    for kpi in kpis:
        if kpi.data.get("archived"):
            continue
        progress = _clamp(
            kpi_progress(
                _number(kpi.data.get("baseline")),
                _number(kpi.data.get("target")),
                values.get(kpi.id),
                kpi.data.get("direction") or "increase",
            )
        )
        result[kpi.id] = progress
        goal = kpi.data.get("goal")
        if isinstance(goal, str) and goal in parts:
            parts[goal].append((progress, _kpi_weight(kpi)))
    parent_of = _live_parents(live)
    loops = _loop_members(parent_of)
    for member in loops:
        del parent_of[member]
    pending = Counter(parent_of.values())
    queue = deque(gid for gid in live if pending[gid] == 0)
    while queue:
        gid = queue.popleft()
        progress = _clamp(goal_progress(parts[gid]))
        result[gid] = progress
        parent = parent_of.get(gid)
        if parent is not None:
            parts[parent].append((progress, 1.0))
            pending[parent] -= 1
            if pending[parent] == 0:
                queue.append(parent)
    return result, loops
