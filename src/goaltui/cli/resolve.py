"""Turning what a user types into record ids and field values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from goaltui.model.schema import Field, FieldType

if TYPE_CHECKING:
    from goaltui.mirror.read import MirrorReader

__all__ = ["resolve_id", "resolve_ref_value", "short_id"]


SHORT_ID = 8  # tables show the last 8 characters: the random part of a ULID


def short_id(record_id: str) -> str:
    """What tables show of an id; ``resolve_id`` accepts it back."""
    return record_id[-SHORT_ID:]


def _by_suffix(reader: MirrorReader, suffix: str) -> list[tuple[str, str]]:
    if len(suffix) < 4 or not suffix.isalnum():
        return []
    _, rows = reader.query(
        "SELECT collection, id FROM record_index WHERE id LIKE ? ORDER BY id LIMIT 50",
        ["%" + suffix.upper()],
    )
    return [(str(c), str(i)) for c, i in rows]


def resolve_id(reader: MirrorReader, text: str, coll_name: str | None = None) -> tuple[str, str]:
    """(collection, id) for an id, a unique id prefix, or a short id (its last characters).

    ULIDs start with their creation time, so records made together share long
    prefixes; their random ends tell them apart, which is what tables show.
    """
    wanted = text.strip()

    def narrow(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if coll_name and coll_name != "*":
            return [m for m in found if m[0] == coll_name]
        return found

    matches = narrow(reader.resolve(wanted))
    exact = [m for m in matches if m[1] == wanted]
    if exact:
        return exact[0]
    if len(matches) != 1:
        by_suffix = narrow(_by_suffix(reader, wanted))
        if len(by_suffix) == 1 or not matches:
            matches = by_suffix
    if len(matches) == 1:
        return matches[0]
    what = coll_name or "record"
    if not matches:
        raise click.ClickException(
            f"no {what} with id {text!r}; list them with 'goaltui list {coll_name or 'goals'}'"
        )
    shown = ", ".join(rid for _, rid in matches[:5])
    raise click.ClickException(
        f"{text!r} matches {len(matches)} records ({shown}…): type more of the id"
    )


def _person_by_name(reader: MirrorReader, text: str) -> str | None:
    lowered = text.strip().lower()
    people = reader.list_records("people", include_archived=True)
    hits = [
        p["id"]
        for p in people
        if lowered
        in {
            str(p.get("handle") or "").lower(),
            str(p.get("name") or "").lower(),
            str(p.get("email") or "").lower(),
        }
    ]
    return hits[0] if len(hits) == 1 else None


def resolve_ref_value(reader: MirrorReader, spec: Field, text: str) -> Any:
    """Resolve ids (or id prefixes, or people's handles/names) in a reference field's text."""
    if spec.type not in (FieldType.REF, FieldType.REFS) or text.strip() in ("", "-"):
        return text
    target = spec.ref or "*"
    parts = [p.strip() for p in text.split(",") if p.strip()]
    out = []
    for part in parts:
        if target == "people":
            by_name = _person_by_name(reader, part)
            if by_name:
                out.append(by_name)
                continue
        out.append(resolve_id(reader, part, target)[1])
    return ",".join(out)
