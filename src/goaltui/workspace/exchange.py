"""Lossless JSON export and import of a whole workspace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from automerge import core as am

from goaltui.errors import GoaltuiError
from goaltui.model import collection
from goaltui.model.schema import COLLECTIONS, STRATEGY
from goaltui.model.validate import ValidationError, validate_record
from goaltui.workspace.codec import STRATEGY_ID, ensure_collection, write_fields
from goaltui.workspace.core import Workspace

__all__ = [
    "FORMAT",
    "ImportError_",
    "PreparedImport",
    "export_data",
    "import_data",
    "prepare_import",
]

FORMAT = "goaltui-export-1"


def export_data(ws: Workspace) -> dict[str, Any]:
    """Every record, keyed by collection then id; stable key order."""
    out: dict[str, Any] = {
        "format": FORMAT,
        "meta": ws.meta(),
        "strategy": dict(ws.strategy().data),
    }
    for name in COLLECTIONS:
        out[name] = {r.id: dict(r.data) for r in ws.records(name, include_archived=True)}
    out["history"] = {
        e.id: {
            "at": e.at,
            "actor": e.actor,
            "author": e.author,
            "action": e.action,
            "records": ",".join(e.records),
            "fields": ",".join(e.fields),
            "summary": e.summary,
        }
        for e in ws.history()
    }
    return out


class ImportError_(GoaltuiError):
    """The file is not a goaltui export, or a record in it is invalid."""

    title = "Cannot import"


def _check(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportError_(
            f'not a goaltui export (expected an object with "format": "{FORMAT}"); '
            "make one with 'goaltui export --format json'"
        )
    for name in COLLECTIONS:
        if not isinstance(data.get(name, {}), dict):
            raise ImportError_(f"'{name}' must be an object of id → record")
    return data


@dataclass(frozen=True)
class PreparedImport:
    """An export whose every record was validated, ready to write."""

    records: dict[str, dict[str, dict[str, Any]]]
    strategy: dict[str, Any]
    history: dict[str, dict[str, str]]


def prepare_import(raw: Any) -> PreparedImport:
    """Validate every record of an export against the ids in it; nothing is written."""
    data = _check(raw)
    ids = {(name, rid) for name in COLLECTIONS for rid in data.get(name, {})}
    all_ids = {rid for _, rid in ids}

    def exists(coll_name: str, record_id: str) -> bool:
        return record_id in all_ids if coll_name == "*" else (coll_name, record_id) in ids

    clean: dict[str, dict[str, dict[str, Any]]] = {}
    for name in COLLECTIONS:
        coll = collection(name)
        for rid, fields in sorted(data.get(name, {}).items()):
            try:
                clean.setdefault(name, {})[rid] = validate_record(
                    coll, dict(fields), exists=exists, record_id=rid, creating=True
                )
            except (ValidationError, TypeError, AttributeError) as exc:
                raise ImportError_(f"{coll.kind} {rid}: {exc}") from None
    try:
        strategy = validate_record(
            STRATEGY, dict(data.get("strategy") or {}), exists=exists, creating=False
        )
    except (ValidationError, TypeError) as exc:
        raise ImportError_(f"strategy: {exc}") from None
    raw_history = data.get("history") or {}
    history = (
        {
            hid: {k: v for k, v in entry.items() if isinstance(v, str)}
            for hid, entry in sorted(raw_history.items())
            if isinstance(entry, dict)
        }
        if isinstance(raw_history, dict)
        else {}
    )
    return PreparedImport(clean, strategy, history)


def import_data(ws: Workspace, raw: Any) -> int:
    """Write every record of an export into the (new, empty) workspace ``ws``.

    Everything is validated before anything is written, and written in one
    transaction. Returns the number of records imported.
    """
    prepared = raw if isinstance(raw, PreparedImport) else prepare_import(raw)
    clean, strategy, history = prepared.records, prepared.strategy, prepared.history

    def write(tx: am.Transaction) -> None:
        if strategy:
            got = tx.get(am.ROOT, "strategy")
            obj = got[1] if got is not None else tx.put_object(am.ROOT, "strategy", am.ObjType.Map)
            write_fields(tx, obj, STRATEGY, strategy)
        for name, records in clean.items():
            parent = ensure_collection(tx, name)
            for rid, fields in records.items():
                write_fields(
                    tx, tx.put_object(parent, rid, am.ObjType.Map), COLLECTIONS[name], fields
                )
        if history:
            got = tx.get(am.ROOT, "history")
            hobj = got[1] if got is not None else tx.put_object(am.ROOT, "history", am.ObjType.Map)
            for hid, fields in history.items():
                write_fields(tx, tx.put_object(hobj, hid, am.ObjType.Map), None, fields)

    touched = [(name, rid) for name, recs in clean.items() for rid in recs]
    if strategy:
        touched.append((STRATEGY_ID, STRATEGY_ID))
    ws._commit("import", touched, write, summary=f"imported {len(touched)} records")
    return len(touched)
