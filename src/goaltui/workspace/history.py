"""The change history kept inside the document.

Python changes carry no time or author (DESIGN.md), so every transaction the
workspace makes also writes one small ``history`` entry: when, which device
(actor), who, what action, on which records and fields. It merges like any
other record, so everyone's log shows everyone's edits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from automerge import core as am

from goaltui.workspace.codec import iter_records, write_fields

__all__ = ["HistoryEntry", "read_history", "write_history"]


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
    """Add one history entry in the caller's transaction."""
    got = tx.get(am.ROOT, "history")
    history = got[1] if got is not None else tx.put_object(am.ROOT, "history", am.ObjType.Map)
    obj = tx.put_object(history, entry_id, am.ObjType.Map)
    write_fields(
        tx,
        obj,
        None,
        {
            "at": at,
            "actor": actor,
            "author": author,
            "action": action,
            "records": ",".join(records),
            "fields": ",".join(sorted(set(fields))),
            "summary": summary[:200],
        },
    )


def read_history(doc: am.Document) -> list[HistoryEntry]:
    """Every history entry, oldest first."""
    entries = []
    for record in iter_records(doc, "history"):
        data = record.data
        entries.append(
            HistoryEntry(
                id=record.id,
                at=str(data.get("at") or ""),
                actor=str(data.get("actor") or ""),
                author=data.get("author"),
                action=str(data.get("action") or ""),
                records=tuple(r for r in str(data.get("records") or "").split(",") if r),
                fields=tuple(f for f in str(data.get("fields") or "").split(",") if f),
                summary=str(data.get("summary") or ""),
            )
        )
    entries.sort(key=lambda e: (e.at, e.id))
    return entries
