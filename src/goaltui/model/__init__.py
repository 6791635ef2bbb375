"""The domain model: schema, validation and derived facts. No I/O, no UI."""

from __future__ import annotations

from goaltui.model.progress import goal_progress, kpi_progress
from goaltui.model.records import Record
from goaltui.model.schema import COLLECTIONS, SCHEMA_VERSION, Collection, Field, FieldType, collection

__all__ = [
    "COLLECTIONS",
    "SCHEMA_VERSION",
    "Collection",
    "Field",
    "FieldType",
    "Record",
    "collection",
    "goal_progress",
    "kpi_progress",
]

# Validation and derived facts (dates, validate, smart, alignment, rollup).
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
from goaltui.model.rollup import (
    compute_progress,
    current_values,
    kpi_current_value,
    latest_checkins,
)
from goaltui.model.smart import Criterion, SmartCheck, smart_check
from goaltui.model.validate import parse_field_value, validate_record

__all__ += [
    "WARNING_CODES",
    "Criterion",
    "GoalWarning",
    "Problem",
    "SmartCheck",
    "ValidationError",
    "all_goal_warnings",
    "cadence_days",
    "compute_progress",
    "current_values",
    "goal_warnings",
    "kpi_current_value",
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
