"""Small Automerge documents for the storage tests: root map "goals" -> id -> {"title"}."""

from __future__ import annotations

from automerge import core as am

DOC_ID = "3TgbR2kQ7nYyqTVgXv9cZ3LhJpW"


def new_doc(actor: bytes | None = None) -> am.Document:
    """A document with an empty "goals" map (created once, by one writer)."""
    doc = am.Document(actor) if actor is not None else am.Document()
    with doc.transaction() as tx:
        tx.put_object(am.ROOT, "goals", am.ObjType.Map)
    return doc


def goals_obj(doc: am.Document) -> bytes:
    found = doc.get(am.ROOT, "goals")
    assert found is not None, "document has no goals map"
    return found[1]


def put_goal(doc: am.Document, goal_id: str, title: str) -> None:
    goals = goals_obj(doc)
    with doc.transaction() as tx:
        record = tx.put_object(goals, goal_id, am.ObjType.Map)
        tx.put(record, "title", am.ScalarType.Str, title)


def titles(doc: am.Document) -> dict[str, str]:
    """goal id -> title, read back from the document."""
    goals = goals_obj(doc)
    out = {}
    for goal_id in doc.keys(goals):
        record = doc.get(goals, goal_id)
        assert record is not None
        value = doc.get(record[1], "title")
        assert value is not None
        out[goal_id] = value[0][1]
    return out
