"""Turning ``field=value`` text from the command line into field values."""

from __future__ import annotations

from typing import Any

import click

from goaltui.cli.app import CliContext
from goaltui.cli.resolve import resolve_ref_value
from goaltui.model.schema import SMART_CRITERIA, Collection, Field, FieldType

__all__ = ["HIDDEN_FIELDS", "parse_assignments", "parse_text"]

HIDDEN_FIELDS = frozenset({"created_by", "created_at", "archived"})


def parse_text(ctx: CliContext, spec: Field, text: str) -> Any:
    """A field's value from text; references may be id prefixes or people's names."""
    from goaltui.model.validate import parse_field_value

    if spec.type in (FieldType.REF, FieldType.REFS):
        text = resolve_ref_value(ctx.reader(), spec, text)
    return parse_field_value(spec, text)


def parse_assignments(ctx: CliContext, coll: Collection, pairs: tuple[str, ...]) -> dict[str, Any]:
    """``field=value`` pairs into validated-type values (``field=`` unsets)."""
    fields: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep:
            raise click.UsageError(f"{pair!r} is not field=value (example: due=2027-03-31)")
        if coll.name == "goals" and key in SMART_CRITERIA:
            fields.setdefault("smart", {})[key] = text or None
            continue
        spec = coll.get(key)
        if spec is None:
            known = ", ".join(f.name for f in coll.fields if f.name not in HIDDEN_FIELDS)
            raise click.UsageError(f"{coll.kind} has no field {key!r}; fields: {known}")
        fields[key] = parse_text(ctx, spec, text)
    return fields
