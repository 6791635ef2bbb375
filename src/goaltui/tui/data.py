"""Mirror rows → model records and derived facts, in batches for what is on screen.

The rules (warnings, SMART) live in ``goaltui.model``; this module only fetches the
records they need for a handful of goals at once through the mirror's indexes. The
rules are imported when first used: the first frame's warnings are read ahead by a
child process (``tui/prefetch.py``), and the app imports them after that frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from goaltui.mirror.read import MirrorReader
from goaltui.model.goal_warning import GoalWarning

if TYPE_CHECKING:
    from goaltui.model.records import Record

__all__ = ["DERIVED", "batch_warnings", "names_of", "record_of", "titles_of"]

DERIVED = frozenset({"progress", "current", "current_at", "owner_name", "last_checkin_at"})


def record_of(collection: str, row: dict[str, Any]) -> Record:
    """A model Record from a mirror row (derived columns and nulls dropped)."""
    from goaltui.model.records import Record

    data = {k: v for k, v in row.items() if k != "id" and k not in DERIVED and v is not None}
    return Record(collection, str(row["id"]), data)


def names_of(
    reader: MirrorReader, ids: Iterable[Any], collection: str = "people"
) -> dict[str, str]:
    """id → display name for the given record ids (missing ones are left out)."""
    wanted = sorted({i for i in ids if isinstance(i, str)})
    if not wanted:
        return {}
    rows = reader.list_records(collection, where={"id": wanted}, include_archived=True)
    field = "title" if collection == "goals" else "name"
    return {str(r["id"]): str(r.get(field) or r["id"]) for r in rows}


def titles_of(reader: MirrorReader, ids: Iterable[Any]) -> dict[str, str]:
    """goal id → title."""
    return names_of(reader, ids, "goals")


def batch_warnings(
    reader: MirrorReader, goals: Sequence[dict[str, Any]], child_counts: dict[str, int]
) -> dict[str, list[GoalWarning]]:
    """The model's warnings for these goal rows, with a few indexed queries in all."""
    from goaltui.model.alignment import goal_warnings, open_objections
    from goaltui.model.records import Record

    ids = [str(g["id"]) for g in goals]
    if not ids:
        return {}
    kpis: dict[str, list[dict[str, Any]]] = {}
    for row in reader.list_records("kpis", where={"goal": ids}):
        kpis.setdefault(str(row["goal"]), []).append(row)
    parent_ids = sorted({g["parent"] for g in goals if isinstance(g.get("parent"), str)})
    parents = {
        str(r["id"]): record_of("goals", r)
        for r in reader.list_records("goals", where={"id": parent_ids}, include_archived=True)
    }
    cycle_ids = sorted({g["cycle"] for g in goals if isinstance(g.get("cycle"), str)})
    cycles = {
        str(r["id"]): record_of("cycles", r)
        for r in reader.list_records("cycles", where={"id": cycle_ids})
    }
    agreements = [
        record_of("agreements", a) for a in reader.list_records("agreements", where={"goal": ids})
    ]
    objections = open_objections(agreements)
    loops = set(reader.loop_members())
    result: dict[str, list[GoalWarning]] = {}
    for goal in goals:
        gid = str(goal["id"])
        own = kpis.get(gid, [])
        placeholder = [Record("goals", f"{gid}/child", {})] * min(child_counts.get(gid, 0), 1)
        result[gid] = goal_warnings(
            record_of("goals", goal),
            kpis=[record_of("kpis", k) for k in own],
            parent=parents.get(str(goal.get("parent"))),
            children=placeholder,
            latest_checkin_at={
                str(k["id"]): k.get("last_checkin_at") or k.get("current_at") for k in own
            },
            cycle=cycles.get(str(goal.get("cycle"))),
            objections=len(objections.get(gid, [])),
            on_loop=gid in loops,
        )
    return result
