"""The change history kept inside the document.

Python changes carry no time or author (DESIGN.md), so every transaction the
workspace makes also writes one small ``history`` entry: when, who, what action,
on which records and fields. It merges like any other record, so everyone's log
shows everyone's edits.

An entry is one string under its ULID, fields on lines: ``at``, author, action,
records, fields, summary. It travels with every edit, so it is kept small: the
device (actor) is the one that wrote the entry, read from its op id, and ``at`` is
left empty when it is the time the ULID already holds. Entries written before were
maps with one key per field (and the actor); they are still read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from automerge import core as am

from goalsync.amcore import CorruptData
from goalsync.changes import parse_object_id
from goaltui.model.dates import format_instant
from goaltui.workspace.codec import read_map

__all__ = ["HistoryEntry", "entry_records", "id_instant", "read_history", "write_history"]

_CROCKFORD = {c: i for i, c in enumerate("0123456789ABCDEFGHJKMNPQRSTVWXYZ")}
_LINES = 6  # at, author, action, records, fields, summary


@dataclass(frozen=True)
class HistoryEntry:
    """One line of ``goaltui log``."""

    id: str
    at: str
    actor: str
    author: str | None
    action: str
    records: tuple[str, ...]
    fields: tuple[str, ...]
    summary: str


def id_instant(entry_id: str) -> str:
    """The instant (whole seconds) a ULID was made at, or "" if it is not a ULID."""
    if len(entry_id) != 26:
        return ""
    millis = 0
    for char in entry_id[:10]:
        digit = _CROCKFORD.get(char)
        if digit is None:
            return ""
        millis = millis * 32 + digit
    return format_instant(datetime.fromtimestamp(millis // 1000, timezone.utc))


def _line(value: str) -> str:
    return value.replace("\n", " ")


def write_history(
    tx: am.Transaction,
    entry_id: str,
    *,
    at: str,
    actor: str,
    author: str | None,
    action: str,
    records: Sequence[str],
    fields: Iterable[str],
    summary: str,
) -> None:
    """Add one history entry in the caller's transaction.

    ``actor`` is not stored: it is the actor of the transaction, which readers take
    from the entry's op id.
    """
    del actor
    got = tx.get(am.ROOT, "history")
    history = got[1] if got is not None else tx.put_object(am.ROOT, "history", am.ObjType.Map)
    lines = [
        "" if at == id_instant(entry_id) else at,
        author or "",
        action,
        ",".join(records),
        ",".join(sorted(set(fields))),
        summary[:200],
    ]
    tx.put(
        history,
        entry_id,
        am.ScalarType.Str,
        "\n".join(_line(v) for v in lines[:-1]) + "\n" + lines[-1],
    )


def entry_records(value: str) -> list[str]:
    """The record ids a string entry names ([] if it is not one)."""
    lines = value.split("\n", _LINES - 1)
    return [r for r in lines[3].split(",") if r] if len(lines) == _LINES else []


def _actor_of(op_id: bytes) -> str:
    try:
        ref = parse_object_id(op_id)
    except CorruptData:
        return ""
    return ref[0].hex() if ref is not None else ""


def _split(text: Any) -> tuple[str, ...]:
    return tuple(r for r in str(text or "").split(",") if r)


def _from_string(entry_id: str, value: str, op_id: bytes) -> HistoryEntry | None:
    lines = value.split("\n", _LINES - 1)
    if len(lines) != _LINES:
        return None
    at, author, action, records, fields, summary = lines
    return HistoryEntry(
        entry_id,
        at or id_instant(entry_id),
        _actor_of(op_id),
        author or None,
        action,
        _split(records),
        _split(fields),
        summary,
    )


def _from_map(doc: am.Document, entry_id: str, obj: bytes) -> HistoryEntry:
    data = read_map(doc, obj)
    author = data.get("author")
    return HistoryEntry(
        id=entry_id,
        at=str(data.get("at") or ""),
        actor=str(data.get("actor") or "") or _actor_of(obj),
        author=str(author) if author else None,
        action=str(data.get("action") or ""),
        records=_split(data.get("records")),
        fields=_split(data.get("fields")),
        summary=str(data.get("summary") or ""),
    )


def read_history(doc: am.Document) -> list[HistoryEntry]:
    """Every history entry, oldest first (both the string and the older map form)."""
    got = doc.get(am.ROOT, "history")
    if got is None or got[0] != am.ObjType.Map:
        return []
    entries = []
    for entry_id in doc.keys(got[1]):
        value = doc.get(got[1], entry_id)
        if value is None:
            continue
        kind, op_id = value
        entry: HistoryEntry | None = None
        if kind.__class__ is tuple and isinstance(kind[1], str):
            entry = _from_string(entry_id, kind[1], op_id)
        elif kind == am.ObjType.Map:
            entry = _from_map(doc, entry_id, op_id)
        if entry is not None:
            entries.append(entry)
    entries.sort(key=lambda e: (e.at, e.id))
    return entries
