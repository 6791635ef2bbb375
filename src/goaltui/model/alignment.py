"""Derived facts about goals: warnings, plus the roll-up of ``rollup`` re-exported.

Computed here once so that the alignment tree, the mirror's views and the reports
agree. All functions take plain :class:`Record` sets and do no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from goaltui.model.dates import date_of, today_date
from goaltui.model.goal_warning import GoalWarning
from goaltui.model.records import Record
from goaltui.model.rollup import (
    checkin_order,
    compute_progress,
    current_values,
    goal_loops,
    kpi_current_value,
    latest_checkins,
)
from goaltui.model.smart import smart_check

__all__ = [
    "CADENCE_DAYS",
    "CLOSED_STATUSES",
    "DEFAULT_CADENCE_DAYS",
    "WARNING_CODES",
    "GoalWarning",
    "Warning",
    "all_goal_warnings",
    "cadence_days",
    "compute_progress",
    "current_values",
    "goal_warnings",
    "kpi_current_value",
    "latest_checkins",
    "open_objections",
]

CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 31, "quarterly": 92}
DEFAULT_CADENCE_DAYS = 14
CLOSED_STATUSES = frozenset({"achieved", "missed", "dropped"})
WARNING_CODES = (
    "parent_loop",
    "orphan",
    "no_kpi",
    "not_smart",
    "due_after_parent",
    "overdue",
    "stale_checkin",
    "objection_open",
)


Warning = GoalWarning  # the name the design uses; GoalWarning avoids shadowing the builtin


def cadence_days(cadence: str | None) -> int:
    """Days between expected check-ins for a cycle cadence (14 when unknown or unset)."""
    return CADENCE_DAYS.get(cadence or "", DEFAULT_CADENCE_DAYS)


def open_objections(agreements: Iterable[Record]) -> dict[str, list[str]]:
    """goal id → people whose latest decision on that goal is "object" (sorted ids).

    A person who objected and later agreed (or abstained) no longer objects.
    """
    latest: dict[tuple[str, str], Record] = {}
    for agreement in agreements:
        goal, person = agreement.get("goal"), agreement.get("person")
        if not isinstance(goal, str) or not isinstance(person, str):
            continue
        best = latest.get((goal, person))
        if best is None or checkin_order(agreement) > checkin_order(best):
            latest[(goal, person)] = agreement
    result: dict[str, list[str]] = {}
    for (goal, person), agreement in sorted(latest.items()):
        if agreement.get("decision") == "object":
            result.setdefault(goal, []).append(person)
    return result


def _as_date(value: str | date | None) -> date:
    if value is None:
        return today_date()
    return value if isinstance(value, date) else date.fromisoformat(value)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _stale_kpis(
    goal: Record,
    kpis: Sequence[Record],
    latest_checkin_at: Mapping[str, str | None],
    cycle: Record | None,
    today: date,
) -> list[str]:
    cadence = cycle.get("cadence") if cycle is not None else None
    limit = cadence_days(cadence)
    stale: list[str] = []
    for kpi in kpis:
        name = repr(str(kpi.get("name") or kpi.id))
        last = date_of(latest_checkin_at.get(kpi.id))
        if last is not None:
            age = (today - last).days
            if age > limit:
                stale.append(f"{name} last checked in {_plural(age, 'day')} ago")
            continue
        created = date_of(kpi.get("created_at"))
        if goal.get("status") == "active" and (created is None or (today - created).days > limit):
            stale.append(f"{name} never checked in")
    if stale:
        when = (
            f"{cadence} (every {limit} days)" if cadence in CADENCE_DAYS else f"every {limit} days"
        )
        stale[-1] += f"; check-ins expected {when}"
    return stale


def goal_warnings(
    goal: Record,
    *,
    kpis: Sequence[Record],
    parent: Record | None,
    children: Sequence[Record],
    latest_checkin_at: Mapping[str, str | None],
    cycle: Record | None,
    objections: int,
    today: str | date | None = None,
    on_loop: bool = False,
) -> list[GoalWarning]:
    """The warnings of one goal, at most one per code, in WARNING_CODES order.

    - ``parent_loop``: ``on_loop`` says its parent chain comes back to it (only a merge
      of moves made on two devices can do that); it then counts as a root;
    - ``orphan``: a team or individual goal without a (live) parent goal;
    - ``no_kpi``: no KPI and no child goal, so nothing measures its progress;
    - ``not_smart``: ``smart_check`` finds a criterion not met;
    - ``due_after_parent``: due later than its parent goal;
    - ``overdue``: due before ``today`` and not achieved, missed or dropped;
    - ``stale_checkin``: (open goals) a KPI whose latest check-in is older than the
      cycle's cadence, or, for an active goal, a KPI older than the cadence that
      never had one; ``latest_checkin_at`` maps KPI id → instant (missing = never);
    - ``objection_open``: ``objections`` people whose latest decision is "object".

    Archived goals get no warnings; archived KPIs, parents and children are ignored.
    """
    if goal.get("archived"):
        return []
    day = _as_date(today)
    live_kpis = [k for k in kpis if not k.get("archived")]
    live_children = [c for c in children if not c.get("archived")]
    if parent is not None and parent.get("archived"):
        parent = None
    status = goal.get("status")
    found: list[GoalWarning] = []
    if on_loop:
        message = "its parent chain loops back to it (moves merged from two devices); move it"
        found.append(GoalWarning("parent_loop", message))
        parent = None  # a root, as the roll-up counts it

    level = goal.get("level")
    if level in ("team", "individual") and parent is None and not on_loop:
        if goal.get("parent"):
            message = f"parent goal {goal.get('parent')!r} is missing or archived"
        else:
            message = f"{level} goal without a parent goal"
        found.append(GoalWarning("orphan", message))
    if not live_kpis and not live_children:
        found.append(GoalWarning("no_kpi", "no KPI or child goal measures its progress"))
    check = smart_check(goal, live_kpis, cycle=cycle)
    if not check.met:
        why = "; ".join(f"{n}: {check.criteria[n].reason}" for n in check.missing)
        found.append(GoalWarning("not_smart", f"not SMART — {why}"))
    due, parent_due = date_of(goal.get("due")), date_of(parent.get("due")) if parent else None
    if due is not None and parent_due is not None and due > parent_due:
        found.append(
            GoalWarning(
                "due_after_parent", f"due {due} is after its parent's due date {parent_due}"
            )
        )
    if status not in CLOSED_STATUSES:
        if due is not None and due < day:
            late = _plural((day - due).days, "day")
            found.append(GoalWarning("overdue", f"was due {due} ({late} ago)"))
        stale = _stale_kpis(goal, live_kpis, latest_checkin_at, cycle, day)
        if stale:
            found.append(GoalWarning("stale_checkin", "; ".join(stale)))
    if objections > 0:
        found.append(GoalWarning("objection_open", f"{_plural(objections, 'open objection')}"))
    return found


def all_goal_warnings(
    goals: Iterable[Record],
    *,
    kpis: Iterable[Record],
    checkins: Iterable[Record],
    cycles: Iterable[Record],
    agreements: Iterable[Record],
    today: str | date | None = None,
) -> dict[str, list[GoalWarning]]:
    """:func:`goal_warnings` for every goal of a workspace, by goal id, in O(n).

    Builds the per-goal inputs (KPIs, parent, children, latest check-ins, cycle,
    open objections) from whole collections; the mirror and the reports call this.
    """
    goal_list = list(goals)
    by_id = {g.id: g for g in goal_list}
    kpis_of: dict[str, list[Record]] = defaultdict(list)
    for kpi in kpis:
        kpis_of[str(kpi.get("goal"))].append(kpi)
    children_of: dict[str, list[Record]] = defaultdict(list)
    for goal in goal_list:
        parent = goal.get("parent")
        if isinstance(parent, str):
            children_of[parent].append(goal)
    latest = {k: c.get("at") for k, c in latest_checkins(checkins).items()}
    cycle_by_id = {c.id: c for c in cycles if not c.get("archived")}
    objections = open_objections(agreements)
    day = _as_date(today)
    loops = goal_loops(goal_list)
    result: dict[str, list[GoalWarning]] = {}
    for goal in goal_list:
        parent_id, cycle_id = goal.get("parent"), goal.get("cycle")
        result[goal.id] = goal_warnings(
            goal,
            kpis=kpis_of.get(goal.id, []),
            parent=by_id.get(parent_id) if isinstance(parent_id, str) else None,
            children=children_of.get(goal.id, []),
            latest_checkin_at=latest,
            cycle=cycle_by_id.get(cycle_id) if isinstance(cycle_id, str) else None,
            objections=len(objections.get(goal.id, [])),
            today=day,
            on_loop=goal.id in loops,
        )
    return result
