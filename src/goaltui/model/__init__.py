"""The domain model: schema, validation and derived facts. No I/O, no UI.

Names are imported lazily (PEP 562): the CLI's read path needs only the schema,
and a command that prints a list should not pay for importing the validation
and alignment rules it never uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from goalsync.lazy import lazy_getattr

_EXPORTS = {
    "goaltui.model.schema": (
        "COLLECTIONS",
        "SCHEMA_VERSION",
        "Collection",
        "Field",
        "FieldType",
        "collection",
    ),
    "goaltui.model.progress": ("goal_progress", "kpi_progress"),
    "goaltui.model.records": ("Record",),
    "goaltui.model.alignment": (
        "WARNING_CODES",
        "GoalWarning",
        "all_goal_warnings",
        "cadence_days",
        "goal_warnings",
        "open_objections",
    ),
    "goaltui.model.clock": ("set_clock",),
    "goaltui.model.dates": ("now_instant", "parse_date", "parse_instant", "today"),
    "goaltui.model.errors": ("Problem", "ValidationError"),
    "goaltui.model.rollup": (
        "compute_progress",
        "current_values",
        "kpi_current_value",
        "latest_checkins",
    ),
    "goaltui.model.smart": ("Criterion", "SmartCheck", "smart_check"),
    "goaltui.model.validate": ("parse_field_value", "validate_record"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "COLLECTIONS",
    "SCHEMA_VERSION",
    "WARNING_CODES",
    "Collection",
    "Criterion",
    "Field",
    "FieldType",
    "GoalWarning",
    "Problem",
    "Record",
    "SmartCheck",
    "ValidationError",
    "all_goal_warnings",
    "cadence_days",
    "collection",
    "compute_progress",
    "current_values",
    "goal_progress",
    "goal_warnings",
    "kpi_current_value",
    "kpi_progress",
    "latest_checkins",
    "now_instant",
    "open_objections",
    "parse_date",
    "parse_field_value",
    "parse_instant",
    "set_clock",
    "smart_check",
    "today",
    "validate_record",
]


__getattr__ = lazy_getattr(__name__, globals(), _WHERE)

if TYPE_CHECKING:
    from goaltui.model.alignment import (
        WARNING_CODES,
        GoalWarning,
        all_goal_warnings,
        cadence_days,
        goal_warnings,
        open_objections,
    )
    from goaltui.model.clock import set_clock
    from goaltui.model.dates import now_instant, parse_date, parse_instant, today
    from goaltui.model.errors import Problem, ValidationError
    from goaltui.model.progress import goal_progress, kpi_progress
    from goaltui.model.records import Record
    from goaltui.model.rollup import (
        compute_progress,
        current_values,
        kpi_current_value,
        latest_checkins,
    )
    from goaltui.model.schema import (
        COLLECTIONS,
        SCHEMA_VERSION,
        Collection,
        Field,
        FieldType,
        collection,
    )
    from goaltui.model.smart import Criterion, SmartCheck, smart_check
    from goaltui.model.validate import parse_field_value, validate_record
