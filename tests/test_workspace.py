"""The Workspace: one validated, durable transaction per operation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from automerge import core as am

from goaltui.errors import NewerSchemaError, NotFound, WorkspaceExists, WorkspaceNotFound
from goaltui.model.validate import ValidationError
from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace, WorkspaceChange
from goaltui.workspace.codec import write_fields


def test_create_then_open_sees_the_same_records(ws_paths: WorkspacePaths) -> None:
    with Workspace.create(ws_paths) as ws:
        gid = ws.add_goal("Grow EU revenue to 2M", level="strategic", due="2027-06-30")
        kid = ws.add_kpi(gid, "EU ARR", baseline=0.5, target=2.0, unit="M EUR")
        doc_id = ws.doc_id
    with Workspace.open(ws_paths) as again:
        assert again.doc_id == doc_id
        assert again.get(gid).title == "Grow EU revenue to 2M"
        assert again.get(kid, "kpis").target == 2.0
        assert again.meta()["schema"] == 1


def test_create_refuses_an_existing_name_and_open_a_missing_one(ws_paths: WorkspacePaths) -> None:
    Workspace.create(ws_paths).close()
    with pytest.raises(WorkspaceExists):
        Workspace.create(ws_paths)
    with pytest.raises(WorkspaceNotFound, match="goaltui init"):
        Workspace.open(ws_paths.with_name("other"))


def test_validation_names_the_field_and_writes_nothing(ws: Workspace) -> None:
    before = ws._doc.get_heads()
    with pytest.raises(ValidationError) as err:
        ws.add("goal", {"title": "X", "due": "2027-02-30", "level": "galactic"})
    fields = {p.field for p in err.value.problems}
    assert fields == {"due", "level"}
    assert ws._doc.get_heads() == before


def test_references_must_exist_and_parents_cannot_loop(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="owner"):
        ws.add_goal("Orphan owner", owner="01NOPE")
    a = ws.add_goal("A")
    b = ws.add_goal("B", parent=a)
    with pytest.raises(ValidationError, match="parent"):
        ws.move_goal(a, b)
    ws.move_goal(b, None)
    assert ws.get(b).parent is None


def test_edit_unset_and_required_fields(ws: Workspace) -> None:
    gid = ws.add_goal("Ship", due="2027-01-01")
    ws.edit(gid, {"due": None, "status": "active"})
    goal = ws.get(gid)
    assert goal.due is None and goal.status == "active"
    with pytest.raises(ValidationError, match="title"):
        ws.edit(gid, {"title": None})


def test_archive_hides_but_keeps(ws: Workspace) -> None:
    gid = ws.add_goal("Old")
    ws.archive(gid)
    assert [g.id for g in ws.records("goals")] == []
    assert ws.get(gid).archived is True
    ws.archive(gid, archived=False)
    assert [g.id for g in ws.records("goals")] == [gid]


def test_append_only_records_cannot_be_archived(ws: Workspace) -> None:
    gid = ws.add_goal("G")
    cid = ws.check_in(gid, confidence=5)
    with pytest.raises(Exception, match="append-only"):
        ws.archive(cid)


def test_text_fields_merge_concurrent_edits_character_by_character(ws: Workspace) -> None:
    gid = ws.add_goal("G", description="We sell in France.")
    other = ws._doc.fork()
    other.set_actor(am.random_actor_id())
    ws.edit(gid, {"description": "We sell in France and Spain."})
    goals = other.get(am.ROOT, "goals")[1]
    record = other.get(goals, gid)[1]
    with other.transaction() as tx:
        text = tx.get(record, "description")[1]
        for i, ch in enumerate("Today "):
            tx.insert(text, i, am.ScalarType.Str, ch)
    ws._doc.merge(other)
    assert ws.get(gid).description == "Today We sell in France and Spain."


def test_js_style_strings_read_as_text(ws: Workspace) -> None:
    """A JS client writes strings as Text objects; readers take both."""
    gid = ws.add_goal("placeholder")
    goals = ws._doc.get(am.ROOT, "goals")[1]
    record = ws._doc.get(goals, gid)[1]
    with ws._doc.transaction() as tx:
        text = tx.put_object(record, "title", am.ObjType.Text)
        for i, ch in enumerate("From JS"):
            tx.insert(text, i, am.ScalarType.Str, ch)
    assert ws.get(gid).title == "From JS"


def test_history_records_who_did_what(ws: Workspace) -> None:
    me = ws.add_person("Dana Lee", handle="dana")
    ws.set_me(me)
    gid = ws.add_goal("Launch")
    ws.edit(gid, {"status": "active"})
    last = ws.history()[-1]
    assert last.author == me
    assert last.action == "edit goal"
    assert last.records == (gid,)
    assert last.fields == ("status",)
    assert last.actor == ws.actor


def test_subscribers_hear_local_changes(ws: Workspace) -> None:
    heard: list[WorkspaceChange] = []
    unsubscribe = ws.subscribe(heard.append)
    gid = ws.add_goal("G")
    unsubscribe()
    ws.add_goal("H")
    assert [(c.action, c.records, c.origin) for c in heard] == [
        ("add goal", (("goals", gid),), "local")
    ]


def test_two_workspaces_on_one_directory_see_each_others_edits(ws_paths: WorkspacePaths) -> None:
    first = Workspace.create(ws_paths)
    second = Workspace.open(ws_paths)
    try:
        assert first.actor != second.actor
        a = first.add_goal("From the first")
        heard: list[WorkspaceChange] = []
        second.subscribe(heard.append)
        assert second.refresh() is True
        assert second.get(a).title == "From the first"
        assert heard and heard[0].origin == "disk" and ("goals", a) in heard[0].records
        b = second.add_goal("From the second")
        first.refresh()
        assert {g.title for g in first.records("goals")} == {"From the first", "From the second"}
        assert first.get(b).title == "From the second"
    finally:
        first.close()
        second.close()


def test_rank_priorities_replaces_the_persons_ranking(ws: Workspace) -> None:
    p = ws.add_person("Ana")
    g1, g2 = ws.add_goal("One"), ws.add_goal("Two")
    first = ws.rank_priorities([g1, g2], person=p)
    second = ws.rank_priorities([g2, g1], person=p)
    assert first == second
    assert ws.get(first).ranking == [g2, g1]


def test_agreements_and_feedback_are_append_only_records(ws: Workspace) -> None:
    p = ws.add_person("Ana")
    g = ws.add_goal("Goal")
    ws.agree(g, person=p)
    ws.object(g, person=p, note="budget too small")
    decisions = [a.decision for a in ws.records("agreements")]
    assert sorted(decisions) == ["agree", "object"]
    f = ws.give_feedback(g, "Can we add Spain?", kind="suggestion", author=p)
    ws.resolve_feedback(f)
    assert ws.get(f).resolved is True


def test_newer_schema_is_refused_without_changing_anything(ws_paths: WorkspacePaths) -> None:
    with Workspace.create(ws_paths) as ws:
        heads = ws._doc.get_heads()
        with ws._doc.transaction() as tx:
            meta = tx.get(am.ROOT, "meta")[1]
            write_fields(tx, meta, None, {"schema": 99})
        ws._store.append(ws.doc_id, ws._doc, heads, ws._known)
    files_before = sorted(p.name for p in ws_paths.repo.rglob("*") if p.is_file())
    with pytest.raises(NewerSchemaError, match="upgrade goaltui"):
        Workspace.open(ws_paths)
    assert sorted(p.name for p in ws_paths.repo.rglob("*") if p.is_file()) == files_before


def test_get_unknown_id(ws: Workspace) -> None:
    with pytest.raises(NotFound):
        ws.get("01DOESNOTEXIST")


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_every_file_is_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    import os

    old = os.umask(umask)
    try:
        paths = WorkspacePaths(tmp_path / "d", "main")
        with Workspace.create(paths) as ws:
            ws.add_goal("G")
            ws.ensure_mirror()
            ws.compact()
    finally:
        os.umask(old)
    for path in [paths.data_dir, *paths.data_dir.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        expected = 0o700 if path.is_dir() else 0o600
        assert mode == expected, f"{path} is {oct(mode)}"


def test_undo_reverses_edits_then_additions(ws: Workspace) -> None:
    gid = ws.add_goal("Launch", description="First draft", smart={"specific": "EU only"})
    ws.edit(
        gid, {"title": "Launch in EU", "description": None, "smart": {"measurable": "1k signups"}}
    )
    assert ws.undo() == "edited goal Launch"
    goal = ws.get(gid)
    assert (goal.title, goal.description, goal.smart) == (
        "Launch",
        "First draft",
        {"specific": "EU only"},
    )
    assert ws.undo() == "added goal Launch"
    assert ws.find("goals", gid) is None
    assert ws.undo() is None
    assert ws.history()[-1].summary == "undid: added goal Launch"


def test_undo_of_strategy(ws: Workspace) -> None:
    ws.set_strategy({"vision": "A"})
    ws.set_strategy({"vision": "B", "mission": "M"})
    ws.undo()
    assert dict(ws.strategy().data) == {"vision": "A"}


def test_a_mirror_left_behind_catches_up_from_its_heads(ws_paths: WorkspacePaths) -> None:
    """Another process's edits reach a stale mirror by a diff, not a rebuild."""
    from goaltui.mirror.read import MirrorReader

    with Workspace.create(ws_paths) as first:
        kept = first.add_goal("Kept")
        first.ensure_mirror()
    with Workspace.open(ws_paths) as second:
        second._mirror = None  # edits from a process that does not maintain the mirror
        second._open_mirror = lambda: _NoMirror()  # type: ignore[method-assign]
        added = second.add_goal("Added elsewhere")
    with MirrorReader(ws_paths.mirror) as reader:
        assert reader.get(added) is None  # the mirror is behind
    with Workspace.open(ws_paths) as third:
        rebuilt: list[bool] = []
        original = third._mirror_rebuild
        third._mirror_rebuild = lambda: (rebuilt.append(True), original())  # type: ignore[method-assign]
        third.ensure_mirror()
        assert rebuilt == []
    with MirrorReader(ws_paths.mirror) as reader:
        assert reader.get(added)[1]["title"] == "Added elsewhere"  # type: ignore[index]
        assert reader.get(kept)[1]["title"] == "Kept"  # type: ignore[index]


class _NoMirror:
    def apply(self, *args: object, **kwargs: object) -> None:
        return None

    def close(self) -> None:
        return None
