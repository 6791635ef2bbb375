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
