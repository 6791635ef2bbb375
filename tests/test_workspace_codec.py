"""Reading records out of the document: keys()+values() per map agrees with get() per key."""

from __future__ import annotations

from typing import Any

from automerge import core as am

from goaltui.workspace.codec import iter_records, read_map, read_record, read_value


def _by_get(doc: am.Document, obj: bytes) -> dict[str, Any]:
    """The slow, obviously right reading: one get() per key."""
    out = {}
    for key in doc.keys(obj):
        got = doc.get(obj, key)
        if got is not None:
            out[key] = read_value(doc, got)
    return out


def _text(tx: am.Transaction, obj: bytes, key: str, value: str) -> None:
    text = tx.put_object(obj, key, am.ObjType.Text)
    for i, char in enumerate(value):
        tx.insert(text, i, am.ScalarType.Str, char)


def _document() -> tuple[am.Document, bytes]:
    """A goals map written partly as a JS client would, with conflicts and deletions."""
    doc = am.Document(actor_id=b"\x01" * 16)
    with doc.transaction() as tx:
        goals = tx.put_object(am.ROOT, "goals", am.ObjType.Map)
        g1 = tx.put_object(goals, "G1", am.ObjType.Map)
        tx.put(g1, "title", am.ScalarType.Str, "Plain")
        tx.put(g1, "priority", am.ScalarType.F64, 2.0)  # an int field written as a float
        tx.put(g1, "archived", am.ScalarType.Boolean, False)
        tx.put(g1, "owner", am.ScalarType.Null, None)
        tx.put(g1, "status", am.ScalarType.Str, "draft")
        tx.put(g1, "gone", am.ScalarType.Str, "deleted below")
        _text(tx, g1, "description", "Long text")
        smart = tx.put_object(g1, "smart", am.ObjType.Map)
        tx.put(smart, "specific", am.ScalarType.Str, "Yes")
        g2 = tx.put_object(goals, "G2", am.ObjType.Map)
        _text(tx, g2, "title", "From JS")  # JS writes strings as Text
        tx.put(g2, "blob", am.ScalarType.Bytes, b"\x00\x01")
        tx.put(goals, "not-a-record", am.ScalarType.Str, "x")
        kpis = tx.put_object(am.ROOT, "kpis", am.ObjType.Map)
        k1 = tx.put_object(kpis, "K1", am.ObjType.Map)
        tx.put(k1, "goal", am.ScalarType.Str, "G1")
        tx.put(k1, "name", am.ScalarType.Str, "Uptime")
        tx.put(k1, "target", am.ScalarType.Int, 99)  # a float field written as an int
        tasks = tx.put_object(am.ROOT, "tasks", am.ObjType.Map)
        t1 = tx.put_object(tasks, "T1", am.ObjType.Map)
        deps = tx.put_object(t1, "depends_on", am.ObjType.List)
        tx.insert(deps, 0, am.ScalarType.Str, "T0")
    other = doc.fork()
    other.set_actor(b"\x02" * 16)
    with doc.transaction() as tx:
        tx.put(g1, "status", am.ScalarType.Str, "active")
        tx.delete(g1, "gone")
    with other.transaction() as tx:
        tx.put(g1, "status", am.ScalarType.Str, "proposed")  # concurrent: a conflict
        tx.put(g1, "team", am.ScalarType.Str, "TM1")
    doc.merge(other)
    return doc, goals


def test_read_map_equals_one_get_per_key() -> None:
    doc, goals = _document()
    for record_id in ("G1", "G2"):
        obj = doc.get(goals, record_id)[1]
        assert read_map(doc, obj) == _by_get(doc, obj)
    g1 = read_map(doc, doc.get(goals, "G1")[1])
    assert "gone" not in g1
    assert g1["owner"] is None and "owner" in g1
    assert g1["description"] == "Long text"
    assert g1["smart"] == {"specific": "Yes"}
    assert g1["team"] == "TM1"
    g2 = read_map(doc, doc.get(goals, "G2")[1])
    assert g2 == {"title": "From JS", "blob": b"\x00\x01"}


def test_iter_records_in_id_order_skipping_non_records_and_normalising_numbers() -> None:
    doc, _ = _document()
    goals = list(iter_records(doc, "goals"))
    assert [g.id for g in goals] == ["G1", "G2"]
    assert goals[0]["priority"] == 2 and type(goals[0]["priority"]) is int
    assert goals[0] == read_record(doc, "goals", "G1")
    (kpi,) = iter_records(doc, "kpis")
    assert kpi["target"] == 99.0 and type(kpi["target"]) is float
    assert kpi == read_record(doc, "kpis", "K1")
    (task,) = iter_records(doc, "tasks")
    assert task["depends_on"] == ["T0"]
    assert list(iter_records(doc, "risks")) == []
