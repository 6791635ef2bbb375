"""What the reports read from the mirror, gathered once and indexed for rendering."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from goaltui.errors import NotFound
from goaltui.mirror.read import MirrorReader
from goaltui.model.alignment import open_objections
from goaltui.model.records import Record

__all__ = ["ReportData", "as_record", "load", "md", "progress_bar"]

Row = dict[str, Any]


def as_record(collection: str, row: Row) -> Record:
    """A mirror row as a model Record (absent fields left out)."""
    return Record(
        collection, row["id"], {k: v for k, v in row.items() if k != "id" and v is not None}
    )


@dataclass
class ReportData:
    """Every record a report may show, indexed by the ways reports look them up."""

    reader: MirrorReader
    people: dict[str, Row] = field(default_factory=dict)
    goals: dict[str, Row] = field(default_factory=dict)
    cycles: dict[str, Row] = field(default_factory=dict)
    teams: dict[str, Row] = field(default_factory=dict)
    by_goal: dict[str, dict[str, list[Row]]] = field(default_factory=dict)
    checkins_by_kpi: dict[str, list[Row]] = field(default_factory=dict)
    feedback_by_target: dict[str, list[Row]] = field(default_factory=dict)
    objections: dict[str, list[str]] = field(default_factory=dict)

    def name(self, person_id: object) -> str:
        """A person's name, else their id, else "nobody"."""
        if not isinstance(person_id, str):
            return "nobody"
        person = self.people.get(person_id)
        return str(person["name"]) if person and person.get("name") else person_id

    def of_goal(self, collection: str, goal_id: str) -> list[Row]:
        return self.by_goal.get(collection, {}).get(goal_id, [])

    def find(self, collection: str, key: str) -> Row:
        """A cycle or team by id, id prefix or name (case-insensitive)."""
        rows = self.cycles if collection == "cycles" else self.teams
        if key in rows:
            return rows[key]
        matches = [
            r
            for r in rows.values()
            if str(r.get("name") or "").casefold() == key.casefold() or r["id"].startswith(key)
        ]
        if len(matches) == 1:
            return matches[0]
        kind = collection[:-1]
        known = ", ".join(sorted(str(r.get("name") or r["id"]) for r in rows.values())) or "none"
        what = "matches several" if matches else "matches no"
        raise NotFound(f"{key!r} {what} {kind}; known {collection}: {known}")


def load(reader: MirrorReader) -> ReportData:
    """Read the collections the reports need (archived records left out)."""
    data = ReportData(reader)
    data.people = _by_id(reader.list_records("people", include_archived=True))
    data.goals = _by_id(reader.list_records("goals"))
    data.cycles = _by_id(reader.list_records("cycles", include_archived=True))
    data.teams = _by_id(reader.list_records("teams", include_archived=True))
    for collection in ("kpis", "tasks", "risks", "agreements", "reviews", "resources"):
        grouped: dict[str, list[Row]] = defaultdict(list)
        for row in reader.list_records(collection):
            if isinstance(row.get("goal"), str):
                grouped[row["goal"]].append(row)
        data.by_goal[collection] = dict(grouped)
    checkins: dict[str, list[Row]] = defaultdict(list)
    for row in reader.list_records("checkins", order_by="at"):
        key = row.get("kpi") or row.get("goal")
        if isinstance(key, str):
            checkins[key].append(row)
    data.checkins_by_kpi = dict(checkins)
    feedback: dict[str, list[Row]] = defaultdict(list)
    for row in reader.list_records("feedback", order_by="at"):
        if isinstance(row.get("target"), str):
            feedback[row["target"]].append(row)
    data.feedback_by_target = dict(feedback)
    agreements = [
        as_record("agreements", r) for rows in data.by_goal["agreements"].values() for r in rows
    ]
    data.objections = open_objections(agreements)
    return data


def _by_id(rows: list[Row]) -> dict[str, Row]:
    return {row["id"]: row for row in rows}


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def md(value: object) -> str:
    """User text made safe for Markdown: specials escaped, line breaks folded to spaces."""
    text = "" if value is None else str(value)
    return " ".join(text.split()).translate(_MD_SPECIAL)


def progress_bar(progress: float | None, width: int = 10) -> str:
    """``[######----]  60%`` in a code span; ``[----------]   —`` when unmeasured."""
    if progress is None:
        return "`[" + "-" * width + "]    —`"
    filled = round(max(0.0, min(1.0, progress)) * width)
    return f"`[{'#' * filled}{'-' * (width - filled)}] {round(progress * 100):3d}%`"
