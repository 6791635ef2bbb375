"""The domain's operations, one method each, on top of ``Workspace.add``/``edit``.

They name what a team does (check in, object to a goal, rank priorities) and
fill in who and when, so the CLI and the TUI never assemble raw records.
"""

from __future__ import annotations

from typing import Any, Protocol

from goaltui.errors import NotFound
from goaltui.model import Record

__all__ = ["DomainOperations"]


class _Base(Protocol):
    @property
    def me(self) -> str | None: ...

    def add(self, kind: str, fields: dict[str, Any], *, author_field: str | None = None) -> str: ...
    def edit(self, record_id: str, fields: dict[str, Any]) -> None: ...
    def get(self, record_id: str, coll_name: str | None = None) -> Record: ...
    def records(self, coll_name: str, *, include_archived: bool = False) -> list[Record]: ...


class DomainOperations:
    """Named operations of the goal-setting process (mixed into Workspace)."""

    # Strategy and organisation ------------------------------------------------
    def add_value(self: _Base, name: str, description: str | None = None) -> str:
        return self.add("value", {"name": name, "description": description})

    def add_person(self: _Base, name: str, **fields: Any) -> str:
        return self.add("person", {"name": name, **fields})

    def add_team(self: _Base, name: str, **fields: Any) -> str:
        return self.add("team", {"name": name, **fields})

    def add_cycle(self: _Base, name: str, **fields: Any) -> str:
        return self.add("cycle", {"name": name, **fields})

    # Goals and how they are measured ----------------------------------------
    def add_goal(self: _Base, title: str, **fields: Any) -> str:
        return self.add("goal", {"title": title, **fields})

    def move_goal(self: _Base, goal_id: str, parent_id: str | None) -> None:
        """Align a goal under another parent (None makes it top-level)."""
        self.edit(goal_id, {"parent": parent_id})

    def add_kpi(self: _Base, goal_id: str, name: str, **fields: Any) -> str:
        return self.add("kpi", {"goal": goal_id, "name": name, **fields})

    def check_in(
        self: _Base,
        target_id: str,
        value: float | None = None,
        *,
        confidence: int | None = None,
        status: str | None = None,
        note: str | None = None,
        author: str | None = None,
        at: str | None = None,
    ) -> str:
        """Record progress on a KPI (or, without a value, on a goal); ``at`` defaults to now."""
        target = self.get(target_id)
        if target.collection not in ("kpis", "goals"):
            raise NotFound(f"{target_id} is a {target.kind}; check in on a KPI or a goal")
        key = "kpi" if target.collection == "kpis" else "goal"
        fields = {
            key: target_id,
            "value": value,
            "confidence": confidence,
            "status": status,
            "note": note,
            "author": author,
            "at": at,
        }
        return self.add("checkin", fields, author_field="author")

    # Action plans -------------------------------------------------------------
    def add_task(self: _Base, title: str, **fields: Any) -> str:
        return self.add("task", {"title": title, **fields})

    def add_milestone(self: _Base, title: str, due: str, **fields: Any) -> str:
        return self.add("task", {"title": title, "due": due, "milestone": True, **fields})

    def set_task_status(self: _Base, task_id: str, status: str) -> None:
        self.edit(task_id, {"status": status})

    def add_resource(self: _Base, goal_id: str, kind: str, **fields: Any) -> str:
        return self.add("resource", {"goal": goal_id, "kind": kind, **fields})

    def add_stakeholder(self: _Base, person_id: str, role: str, **fields: Any) -> str:
        return self.add("stakeholder", {"person": person_id, "role": role, **fields})

    def add_risk(self: _Base, title: str, **fields: Any) -> str:
        return self.add("risk", {"title": title, **fields})

    # Agreement, priorities, feedback, review -----------------------------------
    def decide(
        self: _Base,
        goal_id: str,
        decision: str,
        *,
        person: str | None = None,
        note: str | None = None,
        at: str | None = None,
    ) -> str:
        """Agree to, object to, or abstain on a proposed goal (append-only)."""
        return self.add(
            "agreement",
            {
                "goal": goal_id,
                "decision": decision,
                "person": person or self.me,
                "note": note,
                "at": at,
            },
        )

    def agree(self, goal_id: str, **kw: Any) -> str:
        return DomainOperations.decide(self, goal_id, "agree", **kw)  # type: ignore[arg-type]

    def object(self, goal_id: str, **kw: Any) -> str:
        return DomainOperations.decide(self, goal_id, "object", **kw)  # type: ignore[arg-type]

    def rank_priorities(
        self: _Base, ranking: list[str], *, person: str | None = None, cycle: str | None = None
    ) -> str:
        """Set a person's ranking of goals (one record per person and cycle, replaced)."""
        who = person or self.me
        for existing in self.records("priorities"):
            if existing.data.get("person") == who and existing.data.get("cycle") == cycle:
                self.edit(existing.id, {"ranking": ranking})
                return existing.id
        return self.add("priority", {"person": who, "cycle": cycle, "ranking": ranking})

    def give_feedback(
        self: _Base,
        target_id: str | None,
        text: str,
        *,
        kind: str = "comment",
        author: str | None = None,
        at: str | None = None,
    ) -> str:
        return self.add(
            "feedback",
            {"target": target_id, "text": text, "kind": kind, "author": author, "at": at},
            author_field="author",
        )

    def resolve_feedback(self: _Base, feedback_id: str, resolved: bool = True) -> None:
        self.edit(feedback_id, {"resolved": resolved})

    def review(self: _Base, **fields: Any) -> str:
        """Record a review of a goal or a cycle: score, outcome, lessons, next steps."""
        return self.add("review", fields, author_field="author")
