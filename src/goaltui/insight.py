"""A goal's derived facts (SMART check, warnings) gathered from the mirror.

The rules live in ``goaltui.model``; this only fetches the records they need
for one goal through the mirror's indexes, so ``goaltui show`` stays fast.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from goaltui.model import Record
from goaltui.model.alignment import goal_warnings, open_objections
from goaltui.model.smart import smart_check

if TYPE_CHECKING:
    from goaltui.mirror.read import MirrorReader

__all__ = ["goal_facts"]

_DERIVED = ("progress", "current", "current_at", "owner_name")


def _record(coll: str, row: dict[str, Any]) -> Record:
    data = {k: v for k, v in row.items() if k != "id" and k not in _DERIVED and v is not None}
    return Record(coll, row["id"], data)


def _one(reader: MirrorReader, coll: str, record_id: Any) -> Record | None:
    if not isinstance(record_id, str):
        return None
    found = reader.get(record_id)
    return _record(coll, found[1]) if found and found[0] == coll else None


def goal_facts(reader: MirrorReader, goal_id: str) -> dict[str, Any]:
    """``smart_check`` and ``warnings`` of one goal, as JSON-ready values."""
    found = reader.get(goal_id)
    if found is None or found[0] != "goals":
        return {}
    goal = _record("goals", found[1])
    kpi_rows = reader.list_records("kpis", where={"goal": goal_id})
    kpis = [_record("kpis", k) for k in kpi_rows]
    children = [
        _record("goals", c) for c in reader.list_records("goals", where={"parent": goal_id})
    ]
    agreements = [
        _record("agreements", a) for a in reader.list_records("agreements", where={"goal": goal_id})
    ]
    cycle = _one(reader, "cycles", goal.get("cycle"))
    check = smart_check(goal, kpis, cycle=cycle)
    warnings = goal_warnings(
        goal,
        kpis=kpis,
        parent=_one(reader, "goals", goal.get("parent")),
        children=children,
        latest_checkin_at={k["id"]: k.get("current_at") for k in kpi_rows if k.get("current_at")},
        cycle=cycle,
        objections=len(open_objections(agreements).get(goal_id, [])),
        on_loop=goal_id in reader.loop_members(),
    )
    return {
        "smart_check": {
            "met": check.met,
            "criteria": {name: asdict(c) for name, c in check.criteria.items()},
        },
        "warnings": [asdict(w) for w in warnings],
    }
