"""Undo of this device's own edits, newest first.

Undo writes a new change that restores the previous values (or removes a
record that was just added); it never rewrites history, so it syncs and merges
like any other edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from goaltui.model.schema import SMART_CRITERIA

__all__ = ["UndoEntry", "UndoStack", "previous_values"]

MAX_UNDO = 100


@dataclass(frozen=True)
class UndoEntry:
    """How to reverse one edit: restore ``previous``, or remove the record if None."""

    description: str
    collection: str
    record_id: str
    previous: dict[str, Any] | None


def previous_values(current: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The values ``fields`` are about to replace (None where a field was unset)."""
    out: dict[str, Any] = {}
    for name in fields:
        old = current.get(name)
        if name == "smart":
            old_smart = old if isinstance(old, dict) else {}
            out[name] = {c: old_smart.get(c) for c in SMART_CRITERIA}
        else:
            out[name] = old
    return out


class UndoStack:
    """A bounded stack of UndoEntry, per open workspace (per device session)."""

    def __init__(self) -> None:
        self._entries: list[UndoEntry] = []

    def push(self, entry: UndoEntry) -> None:
        self._entries.append(entry)
        del self._entries[:-MAX_UNDO]

    def pop(self) -> UndoEntry | None:
        return self._entries.pop() if self._entries else None

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
