"""Property: any sequence of edits, appends, compactions, reloads and another writer's
appends ends with storage holding exactly what a plain in-memory model says."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goalsync.storage import DocumentStore, FileChunkStore, MemoryChunkStore, StorageKey
from helpers.storage_docs import DOC_ID, new_doc, put_goal, titles

TITLES = st.sampled_from(["a", "b", "ü", "long title " * 20])
OPS = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from(["m0", "m1", "m2"]), TITLES),
    st.tuples(st.just("other"), st.sampled_from(["o0", "o1"]), TITLES),
    st.tuples(st.sampled_from(["append", "compact", "reload", "refresh"])),
)


class Model:
    """What the writer's document and a fresh load should show."""

    def __init__(self) -> None:
        self.view_mine: dict[str, str] = {}
        self.view_other: dict[str, str] = {}
        self.stored_mine: dict[str, str] = {}
        self.stored_other: dict[str, str] = {}

    def stored(self) -> dict[str, str]:
        return {**self.stored_mine, **self.stored_other}

    def view(self) -> dict[str, str]:
        return {**self.view_mine, **self.view_other}


def run(docs: DocumentStore, ops: list[tuple[str, ...]]) -> None:
    doc = new_doc()
    known: set[StorageKey] = set()
    docs.append(DOC_ID, doc, [], known)
    saved = doc.get_heads()
    model = Model()
    for op in ops:
        if op[0] == "edit":
            put_goal(doc, op[1], op[2])
            model.view_mine[op[1]] = op[2]
        elif op[0] == "other":
            other = docs.load(DOC_ID)  # a fresh random actor each time
            heads = other.doc.get_heads()
            put_goal(other.doc, op[1], op[2])
            docs.append(DOC_ID, other.doc, heads, other.known)
            model.stored_other[op[1]] = op[2]
        elif op[0] == "append":
            docs.append(DOC_ID, doc, saved, known)
            saved = doc.get_heads()
            model.stored_mine = dict(model.view_mine)
        elif op[0] == "compact":
            docs.compact(DOC_ID, doc, known)
            saved = doc.get_heads()
            model.view_other = dict(model.stored_other)
            model.stored_mine = dict(model.view_mine)
        elif op[0] == "refresh":
            docs.refresh(DOC_ID, doc, known)
            model.view_other = dict(model.stored_other)
        else:
            loaded = docs.load(DOC_ID)
            assert loaded.problems == []
            doc, known, saved = loaded.doc, loaded.known, loaded.doc.get_heads()
            model.view_mine = dict(model.stored_mine)
            model.view_other = dict(model.stored_other)
        assert titles(doc) == model.view()
    final = docs.load(DOC_ID)
    assert titles(final.doc) == model.stored()
    assert final.problems == []


@pytest.mark.parametrize("kind", ["memory", "file"])
@settings(max_examples=30, deadline=None)
@given(ops=st.lists(OPS, max_size=20))
def test_storage_matches_the_model(kind: str, ops: list[tuple[str, ...]]) -> None:
    if kind == "memory":
        run(DocumentStore(MemoryChunkStore()), ops)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(DocumentStore(FileChunkStore(Path(tmp) / "data")), ops)
