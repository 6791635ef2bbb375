"""The SMART check of a goal: which criteria it meets, and why not when it does not.

Each criterion is met by evidence the workspace can see, or by a statement the
team wrote in the goal's ``smart`` map (except time-bound, which needs a date):

- **specific** — a stated ``smart.specific``, or a description, or a title of at
  least 3 words (a one- or two-word title such as "Grow revenue" says too little).
- **measurable** — a stated ``smart.measurable``, or at least one KPI with a target.
- **achievable** — a stated ``smart.achievable``, or a KPI whose target is set
  against a baseline (the team knows where it starts from, so the gap is known).
- **relevant** — a stated ``smart.relevant``, or a parent goal it supports, or the
  goal is itself strategic.
- **time_bound** — a due date, or a cycle with an end date. A statement alone does
  not count: only a date can be checked and reminded of.

Archived KPIs are ignored. The reasons are short sentences for the TUI and reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from goaltui.model.records import Record
from goaltui.model.schema import SMART_CRITERIA

__all__ = ["MIN_TITLE_WORDS", "Criterion", "SmartCheck", "smart_check"]

MIN_TITLE_WORDS = 3


@dataclass(frozen=True)
class Criterion:
    """One SMART criterion: met or not, and the reason either way."""

    met: bool
    reason: str


@dataclass(frozen=True)
class SmartCheck:
    """The five criteria of one goal, keyed by ``schema.SMART_CRITERIA``."""

    criteria: dict[str, Criterion]

    @property
    def met(self) -> bool:
        """True when every criterion is met."""
        return all(c.met for c in self.criteria.values())

    @property
    def missing(self) -> list[str]:
        """Names of the criteria not met, in SMART order."""
        return [name for name in SMART_CRITERIA if not self.criteria[name].met]

    @property
    def letters(self) -> str:
        """A compact badge, e.g. ``"SM-RT"``: a dash for each criterion not met."""
        return "".join(
            name[0].upper() if self.criteria[name].met else "-" for name in SMART_CRITERIA
        )


def _stated(goal: Record, name: str) -> str | None:
    smart = goal.get("smart")
    if not isinstance(smart, Mapping):
        return None
    value = smart.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    line = value.strip().splitlines()[0]
    return line if len(line) <= 60 else line[:59] + "…"


def _label(kpi: Record) -> str:
    return repr(str(kpi.get("name") or kpi.id))


def _specific(goal: Record, kpis: Sequence[Record], cycle: Record | None) -> Criterion:
    title = str(goal.get("title") or "")
    words = len(title.split())
    description = goal.get("description")
    if isinstance(description, str) and description.strip():
        return Criterion(True, "has a description")
    if words >= MIN_TITLE_WORDS:
        return Criterion(True, f"title has {words} words")
    return Criterion(
        False, f"title has {words} word{'s' if words != 1 else ''} and there is no description"
    )


def _measurable(goal: Record, kpis: Sequence[Record], cycle: Record | None) -> Criterion:
    for kpi in kpis:
        if kpi.get("target") is not None:
            return Criterion(True, f"KPI {_label(kpi)} has a target")
    if not kpis:
        return Criterion(False, "no KPI")
    return Criterion(False, "no KPI with a target")


def _achievable(goal: Record, kpis: Sequence[Record], cycle: Record | None) -> Criterion:
    for kpi in kpis:
        if kpi.get("target") is not None and kpi.get("baseline") is not None:
            return Criterion(True, f"KPI {_label(kpi)} sets its target against a baseline")
    return Criterion(False, "no KPI with both a baseline and a target, and none stated")


def _relevant(goal: Record, kpis: Sequence[Record], cycle: Record | None) -> Criterion:
    if goal.get("parent"):
        return Criterion(True, "supports a parent goal")
    if goal.get("level") == "strategic":
        return Criterion(True, "is a strategic goal")
    return Criterion(False, "no parent goal and not strategic")


def _time_bound(goal: Record, kpis: Sequence[Record], cycle: Record | None) -> Criterion:
    if goal.get("due"):
        return Criterion(True, f"due {goal.get('due')}")
    if cycle is not None and cycle.get("end"):
        return Criterion(True, f"cycle ends {cycle.get('end')}")
    if cycle is not None:
        return Criterion(False, "no due date and the cycle has no end date")
    return Criterion(False, "no due date and no cycle with an end date")


_RULES: dict[str, Any] = {
    "specific": _specific,
    "measurable": _measurable,
    "achievable": _achievable,
    "relevant": _relevant,
    "time_bound": _time_bound,
}
_STATABLE = ("specific", "measurable", "achievable", "relevant")


def smart_check(goal: Record, kpis: Sequence[Record], *, cycle: Record | None = None) -> SmartCheck:
    """Check ``goal`` against SMART, given its KPIs and (optionally) its cycle.

    ``kpis`` are the goal's KPIs (archived ones are skipped); ``cycle`` is the
    goal's cycle record, whose end date makes a goal without a due date
    time-bound. See the module docstring for the rules.
    """
    live = [k for k in kpis if not k.get("archived")]
    criteria: dict[str, Criterion] = {}
    for name in SMART_CRITERIA:
        stated = _stated(goal, name) if name in _STATABLE else None
        if stated is not None:
            criteria[name] = Criterion(True, f"stated: {stated}")
        else:
            criteria[name] = _RULES[name](goal, live, cycle)
    return SmartCheck(criteria)
