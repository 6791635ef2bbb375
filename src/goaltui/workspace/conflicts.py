"""Concurrent writes to the same field: found after a merge, kept until settled.

Automerge resolves a concurrent write to one field deterministically, so both
devices converge on the same value; goaltui must not hide that the other value
existed. Right after a merge, a field written on two branches still has a
different value at each of the document's heads; that is read here, with who
wrote each (the actor id inside the value's op id, named through the history).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from automerge import core as am

from goaltui.workspace.codec import STRATEGY_ID, collection_obj, read_value
from goaltui.workspace.config import write_private
from goaltui.workspace.ids import new_id

__all__ = ["CompetingValue", "Conflict", "ConflictLog", "find_conflicts"]


@dataclass(frozen=True)
class CompetingValue:
    """One of the values written concurrently, and by whom."""

    value: Any
    actor: str
    who: str | None


@dataclass(frozen=True)
class Conflict:
    """A field of a record that two or more devices wrote concurrently."""

    id: str
    collection: str
    record: str
    field: str
    current: Any
    values: tuple[CompetingValue, ...]
    detected_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Conflict:
        values = tuple(CompetingValue(**v) for v in data.get("values", []))
        return cls(**{**data, "values": values})


def _record_obj(doc: am.Document, coll_name: str, record_id: str) -> bytes | None:
    if coll_name == STRATEGY_ID:
        got = doc.get(am.ROOT, "strategy")
        return got[1] if got is not None else None
    parent = collection_obj(doc, coll_name)
    got = doc.get(parent, record_id) if parent is not None else None
    return got[1] if got is not None and got[0] == am.ObjType.Map else None


def _value_at(doc: am.Document, obj: bytes, key: str, heads: list[bytes]) -> tuple[Any, str] | None:
    got = doc.get(obj, key, heads=heads)
    if got is None:
        return None
    kind, op_id = got
    if kind == am.ObjType.Text:
        value: Any = doc.text(op_id, heads=heads)
    elif isinstance(kind, tuple):
        value = read_value(doc, got)
    else:
        value = "(object)"
    actor = op_id[2:18].hex() if op_id[:2] == b"\x10\x10" else ""
    return value, actor


def find_conflicts(
    doc: am.Document,
    fields: set[tuple[str, str, str]],
    actor_names: dict[str, str],
    detected_at: str,
) -> list[Conflict]:
    """The fields among ``fields`` whose value differs between the document's heads."""
    heads = doc.get_heads()
    found = []
    for coll_name, record_id, key in sorted(fields):
        obj = _record_obj(doc, coll_name, record_id)
        if obj is None or len(heads) < 2:
            continue
        seen: dict[str, CompetingValue] = {}
        for head in heads:
            at_head = _value_at(doc, obj, key, [head])
            if at_head is None:
                continue
            value, actor = at_head
            marker = json.dumps(value, sort_keys=True, default=str)
            seen.setdefault(marker, CompetingValue(value, actor, actor_names.get(actor)))
        if len(seen) < 2:
            continue
        now = _value_at(doc, obj, key, heads)
        found.append(
            Conflict(
                new_id(),
                coll_name,
                record_id,
                key,
                now[0] if now else None,
                tuple(seen.values()),
                detected_at,
            )
        )
    return found


@dataclass
class ConflictLog:
    """The local list of unsettled conflicts (``conflicts.json``, never synced)."""

    path: Path
    items: list[Conflict] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> ConflictLog:
        if not path.exists():
            return cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, [Conflict.from_json(item) for item in raw])
        except (OSError, ValueError, TypeError):
            return cls(path)

    def add(self, conflicts: list[Conflict]) -> None:
        """Record new conflicts; a newer one on the same field replaces the older."""
        if not conflicts:
            return
        keys = {(c.collection, c.record, c.field) for c in conflicts}
        self.items = [c for c in self.items if (c.collection, c.record, c.field) not in keys]
        self.items.extend(conflicts)
        self.save()

    def remove(self, conflict_id: str) -> Conflict | None:
        for item in self.items:
            if item.id == conflict_id:
                self.items.remove(item)
                self.save()
                return item
        return None

    def find(self, text: str) -> list[Conflict]:
        """Conflicts whose id equals, starts with or ends with ``text``."""
        return [
            c
            for c in self.items
            if c.id == text or c.id.startswith(text) or c.id.endswith(text.upper())
        ]

    def save(self) -> None:
        data = json.dumps([c.to_json() for c in self.items], indent=2, default=str)
        write_private(self.path, data.encode())
