"""Which records a merge touched, read from Automerge's patches.

The binding's patches are opaque except for their debug text (DESIGN.md), so this
reads the map keys along each patch's path from that text. If a patch does not
parse, the caller falls back to re-reading everything: never a wrong answer,
at worst a slow one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from goaltui.model.schema import COLLECTIONS

__all__ = ["TouchedRecords", "touched_records"]

_KEY = re.compile(r'Map\("((?:[^"\\]|\\.)*)"\)')
_ACTION_KEY = re.compile(
    r'^(?:(?:PutMap|DeleteMap) \{ key: |Conflict \{ prop: Map\()"((?:[^"\\]|\\.)*)"'
)
_SPLIT = "], action: "


@dataclass
class TouchedRecords:
    """Records a set of patches touched; ``everything`` when it could not tell."""

    records: set[tuple[str, str]] = field(default_factory=set)
    everything: bool = False
    conflicts: set[tuple[str, str, str]] = field(default_factory=set)  # collection, id, field


def _keys_of(patch_text: str) -> list[str] | None:
    head, sep, action = patch_text.partition(_SPLIT)
    if not sep or "path: [" not in head:
        return None
    keys = _KEY.findall(head.split("path: [", 1)[1])
    match = _ACTION_KEY.match(action)
    if match:
        keys.append(match.group(1))
    return keys


def _record_of(keys: list[str]) -> tuple[str, str] | bool | None:
    """(collection, id); None for bookkeeping keys; True when a whole collection changed."""
    if not keys:
        return True
    if keys[0] == "strategy":
        if len(keys) >= 2 and keys[1] == "values":
            return ("values", keys[2]) if len(keys) >= 3 else True
        return ("strategy", "strategy")
    if keys[0] in COLLECTIONS:
        return (keys[0], keys[1]) if len(keys) >= 2 else True
    return None


def touched_records(patches: Iterable[object]) -> TouchedRecords:
    """The records that ``patches`` (from ``Document.diff``) touched."""
    out = TouchedRecords()
    for patch in patches:
        text = repr(patch)
        keys = _keys_of(text)
        if keys is None:
            out.everything = True
            continue
        record = _record_of(keys)
        if record is True:
            out.everything = True
        elif isinstance(record, tuple):
            out.records.add(record)
            if "conflict: true" in text or "action: Conflict {" in text:
                conflict = _conflicted_field(record, keys)
                if conflict:
                    out.conflicts.add(conflict)
    return out


def _conflicted_field(record: tuple[str, str], keys: list[str]) -> tuple[str, str, str] | None:
    """(collection, id, top-level field) of a conflicting write inside ``record``."""
    depth = {"strategy": 1, "values": 3}.get(record[0], 2)
    if len(keys) <= depth:
        return None
    return (record[0], record[1], keys[depth])
