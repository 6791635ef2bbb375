"""Reading and writing records in the Automerge document.

The layout (DESIGN.md): root maps ``meta``, ``strategy`` (vision, mission, and the
``values`` map), ``history`` and one map per collection, record id → record map.
Readers accept what JS clients write too: a JS string arrives as a Text object,
so every string field is read whether it is a ``Str`` scalar or Text.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

from automerge import core as am

from goaltui.model import Collection, FieldType, Record, collection
from goaltui.model.schema import COLLECTIONS

__all__ = [
    "STRATEGY_ID",
    "collection_obj",
    "ensure_collection",
    "iter_records",
    "read_map",
    "read_record",
    "read_value",
    "splice_text",
    "write_fields",
]

STRATEGY_ID = "strategy"
_PLAIN = frozenset({str, int, float, bool, type(None)})
"""Scalar values that read back as they are (Bytes arrive as a list, objects as a type)."""
_Reader = am.Document | am.Transaction


def read_value(doc: _Reader, value: Any) -> Any:
    """A plain Python value for one ``get()`` result (scalar or object)."""
    kind, obj_id = value
    if kind.__class__ is tuple:
        scalar = kind[1]
        if scalar.__class__ is list and kind[0] == am.ScalarType.Bytes:
            return bytes(scalar)
        return scalar  # a Null scalar reads as None
    return _read_object(doc, kind, obj_id)


def _read_object(doc: _Reader, kind: Any, obj_id: bytes) -> Any:
    if kind == am.ObjType.Text:
        return doc.text(obj_id)
    if kind == am.ObjType.List:
        return [read_value(doc, v) for v in doc.values(obj_id)]
    return read_map(doc, obj_id)


def read_map(doc: _Reader, obj: bytes) -> dict[str, Any]:
    """A map object as a dict of plain values.

    Two calls into the binding per map (its keys, then its values, both in key order)
    instead of one ``get`` per key: those calls are most of the cost of reading every
    record for a mirror rebuild. Scalars are taken as they come; only a map holding an
    object (Text, list, map) or bytes is read value by value.
    """
    keys = doc.keys(obj)
    values = doc.values(obj)
    if len(keys) != len(values):  # not aligned (never seen): read key by key
        return _read_map_by_key(doc, obj, keys)
    out = dict(zip(keys, [k[1] if k.__class__ is tuple else k for k, _ in values], strict=True))
    if not _PLAIN.issuperset(map(type, out.values())):
        for key, value in zip(keys, values, strict=True):
            if out[key].__class__ not in _PLAIN:
                out[key] = read_value(doc, value)
    return out


def _read_map_by_key(doc: _Reader, obj: bytes, keys: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in keys:
        got = doc.get(obj, key)
        if got is not None:
            out[key] = read_value(doc, got)
    return out


def _child_map(doc: _Reader, obj: bytes, key: str) -> bytes | None:
    got = doc.get(obj, key)
    if got is None or got[0] != am.ObjType.Map:
        return None
    return got[1]


def collection_obj(doc: _Reader, name: str) -> bytes | None:
    """The map object holding a collection's records, or None if absent."""
    if name == "values":
        strategy = _child_map(doc, am.ROOT, "strategy")
        return None if strategy is None else _child_map(doc, strategy, "values")
    return _child_map(doc, am.ROOT, name)


_NUMERIC: dict[str, tuple[Collection, tuple[str, ...], tuple[str, ...]]] = {}


def _numeric_fields(coll: Collection) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(float fields, int fields) of a collection, worked out once per collection."""
    cached = _NUMERIC.get(coll.name)
    if cached is None or cached[0] is not coll:
        floats = tuple(f.name for f in coll.fields if f.type is FieldType.FLOAT)
        ints = tuple(f.name for f in coll.fields if f.type is FieldType.INT)
        cached = _NUMERIC[coll.name] = (coll, floats, ints)
    return cached[1], cached[2]


def _normalise(coll: Collection, data: dict[str, Any]) -> dict[str, Any]:
    """Coerce values written by other clients into the schema's Python types."""
    floats, ints = _numeric_fields(coll)
    return _coerce(data, floats, ints)


def _coerce(data: dict[str, Any], floats: tuple[str, ...], ints: tuple[str, ...]) -> dict[str, Any]:
    """Ints in float fields become floats; integral floats in int fields become ints."""
    for name in floats:
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            data[name] = float(value)
    for name in ints:
        value = data.get(name)
        if isinstance(value, float) and value.is_integer():
            data[name] = int(value)
    return data


def read_record(doc: _Reader, coll_name: str, record_id: str) -> Record | None:
    """One record by collection and id, or None."""
    if coll_name == STRATEGY_ID:
        obj = _child_map(doc, am.ROOT, "strategy")
        if obj is None:
            return None
        data = read_map(doc, obj)
        data.pop("values", None)
        return Record(STRATEGY_ID, STRATEGY_ID, data)
    parent = collection_obj(doc, coll_name)
    if parent is None:
        return None
    obj = _child_map(doc, parent, record_id)
    if obj is None:
        return None
    return Record(coll_name, record_id, _normalise(collection(coll_name), read_map(doc, obj)))


def iter_records(doc: _Reader, coll_name: str) -> Iterator[Record]:
    """Every record of a collection, in id order.

    The collection's map is resolved once and its records listed with one ``keys`` and
    one ``values`` call, not one lookup per record.
    """
    parent = collection_obj(doc, coll_name)
    if parent is None:
        return
    coll = COLLECTIONS.get(coll_name)
    floats, ints = ((), ()) if coll is None else _numeric_fields(coll)
    coerce = bool(floats or ints)
    ids = doc.keys(parent)
    objs = doc.values(parent)
    if len(ids) != len(objs):  # not aligned (never seen): look each record up
        entries = [(i, doc.get(parent, i)) for i in ids]
    else:
        entries = list(zip(ids, objs, strict=True))
    entries.sort(key=itemgetter(0))  # already sorted by the binding; this keeps the promise
    map_type = am.ObjType.Map
    for record_id, got in entries:
        if got is None or got[0].__class__ is tuple or got[0] != map_type:
            continue
        data = read_map(doc, got[1])
        if coerce:
            _coerce(data, floats, ints)
        yield Record(coll_name, record_id, data)


def splice_text(tx: am.Transaction, text_obj: bytes, old: str, new: str) -> None:
    """Turn text ``old`` into ``new`` by touching only the changed middle.

    Keeping the common prefix and suffix lets concurrent edits elsewhere in the
    text merge character by character. One code point per element (DESIGN.md).
    """
    if old == new:
        return
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    for _ in range(len(old) - prefix - suffix):
        tx.delete(text_obj, prefix)
    for offset, char in enumerate(new[prefix : len(new) - suffix]):
        tx.insert(text_obj, prefix + offset, am.ScalarType.Str, char)


def _put_text(tx: am.Transaction, obj: bytes, key: str, value: str) -> None:
    got = tx.get(obj, key)
    if got is not None and got[0] == am.ObjType.Text:
        splice_text(tx, got[1], tx.text(got[1]), value)
        return
    text_obj = tx.put_object(obj, key, am.ObjType.Text)
    splice_text(tx, text_obj, "", value)


def _put_list(tx: am.Transaction, obj: bytes, key: str, items: list[str]) -> None:
    got = tx.get(obj, key)
    if got is not None and got[0] == am.ObjType.List:
        current = [read_value(tx, v) for v in tx.values(got[1])]
        if current == items:
            return
    list_obj = tx.put_object(obj, key, am.ObjType.List)
    for index, item in enumerate(items):
        tx.insert(list_obj, index, am.ScalarType.Str, item)


def _put_smart(tx: am.Transaction, obj: bytes, key: str, value: dict[str, str | None]) -> None:
    got = tx.get(obj, key)
    smart = got[1] if got is not None and got[0] == am.ObjType.Map else None
    if smart is None:
        smart = tx.put_object(obj, key, am.ObjType.Map)
    for criterion, statement in value.items():
        if statement is None:
            if tx.get(smart, criterion) is not None:
                tx.delete(smart, criterion)
        else:
            _put_scalar(tx, smart, criterion, statement)


def _same_scalar(tx: am.Transaction, obj: bytes, key: str, value: Any) -> bool:
    got = tx.get(obj, key)
    if got is None or not isinstance(got[0], tuple):
        return False
    current = got[0][1]
    return type(current) is type(value) and current == value


def _put_scalar(tx: am.Transaction, obj: bytes, key: str, value: Any) -> None:
    if _same_scalar(tx, obj, key, value):
        return
    if isinstance(value, bool):
        tx.put(obj, key, am.ScalarType.Boolean, value)
    elif isinstance(value, int):
        tx.put(obj, key, am.ScalarType.Int, value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{key}: {value} is not a finite number")
        tx.put(obj, key, am.ScalarType.F64, value)
    elif isinstance(value, str):
        tx.put(obj, key, am.ScalarType.Str, value)
    else:
        raise TypeError(f"{key}: cannot store a {type(value).__name__}")


def write_fields(
    tx: am.Transaction, obj: bytes, coll: Collection | None, fields: dict[str, Any]
) -> None:
    """Write validated ``fields`` into record map ``obj``; None deletes a field.

    ``coll`` None means free-form scalars (``meta``); otherwise the schema decides
    Text vs Str, lists and the SMART map. Values equal to what is stored are not
    rewritten, so an edit records only what really changed.
    """
    for key, value in fields.items():
        spec = coll.get(key) if coll is not None else None
        if value is None:
            if tx.get(obj, key) is not None:
                tx.delete(obj, key)
        elif spec is not None and spec.type is FieldType.TEXT:
            _put_text(tx, obj, key, str(value))
        elif spec is not None and spec.type is FieldType.REFS:
            _put_list(tx, obj, key, [str(v) for v in value])
        elif spec is not None and spec.type is FieldType.SMART:
            _put_smart(tx, obj, key, dict(value))
        else:
            _put_scalar(tx, obj, key, value)


def ensure_collection(tx: am.Transaction, name: str) -> bytes:
    """The map of a collection, created if the document has none yet."""
    existing = collection_obj(tx, name)
    if existing is not None:
        return existing
    if name == "values":
        got = tx.get(am.ROOT, "strategy")
        strategy = got[1] if got is not None else tx.put_object(am.ROOT, "strategy", am.ObjType.Map)
        return tx.put_object(strategy, "values", am.ObjType.Map)
    return tx.put_object(am.ROOT, name, am.ObjType.Map)
