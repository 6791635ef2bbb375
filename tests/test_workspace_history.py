"""History entries: small on the wire, readable in both the current and the older form."""

from __future__ import annotations

from datetime import datetime, timezone

from automerge import core as am

from goaltui.model import clock
from goaltui.model.dates import now_instant
from goaltui.workspace import Workspace
from goaltui.workspace.history import entry_records, id_instant, write_history
from goaltui.workspace.ids import new_id


def test_an_entry_is_one_string_without_the_actor_or_a_redundant_time(ws: Workspace) -> None:
    gid = ws.add_goal("Launch")
    history = ws._doc.get(am.ROOT, "history")
    assert history is not None
    entry_id = ws.history()[-1].id
    got = ws._doc.get(history[1], entry_id)
    assert got is not None and got[0][0] == am.ScalarType.Str
    text = got[0][1]
    assert ws.actor not in text
    assert text.split("\n")[0] == ""  # the ULID holds the time
    assert entry_records(text) == [gid]
    last = ws.history()[-1]
    assert last.actor == ws.actor
    assert last.at == id_instant(entry_id) and abs(_age(last.at)) < 120


def _age(instant: str) -> float:
    then = datetime.strptime(instant, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - then).total_seconds()


def test_a_pinned_clock_is_stored_as_it_is(ws: Workspace) -> None:
    with clock.pinned(datetime(2027, 3, 31, 9, 0, tzinfo=timezone.utc)):
        ws.add_goal("Pinned")
        expected = now_instant()
    assert ws.history()[-1].at == expected == "2027-03-31T09:00:00Z"


def test_newlines_cannot_shift_the_lines_and_the_summary_keeps_its_own(ws: Workspace) -> None:
    actor = ws.actor
    with ws._doc.transaction() as tx:
        write_history(
            tx,
            new_id(),
            at="2027-01-01T00:00:00Z",
            actor=actor,
            author="person\nX",
            action="edit\ngoal",
            records=["A", "B"],
            fields=["title", "title"],
            summary="First line\nsecond, line",
        )
    last = ws.history()[-1]
    assert (last.author, last.action, last.records, last.fields) == (
        "person X",
        "edit goal",
        ("A", "B"),
        ("title",),
    )
    assert last.summary == "First line\nsecond, line"


def test_older_map_entries_are_still_read(ws: Workspace) -> None:
    """Entries written by earlier versions: a map per entry, the actor stored in it."""
    gid = ws.add_goal("Launch")
    history = ws._doc.get(am.ROOT, "history")
    assert history is not None
    old_id = new_id()
    with ws._doc.transaction() as tx:
        entry = tx.put_object(history[1], old_id, am.ObjType.Map)
        for key, value in {
            "at": "2020-01-02T03:04:05Z",
            "actor": "ab" * 16,
            "action": "edit goal",
            "records": gid,
            "fields": "status,title",
            "summary": "edited goal Launch",
        }.items():
            tx.put(entry, key, am.ScalarType.Str, value)
    old = next(e for e in ws.history() if e.id == old_id)
    assert (old.at, old.actor, old.author) == ("2020-01-02T03:04:05Z", "ab" * 16, None)
    assert old.records == (gid,) and old.fields == ("status", "title")
    assert ws.history()[0] == old  # oldest first, by time


def test_id_instant_reads_a_ulid_and_refuses_anything_else() -> None:
    assert id_instant("01ARZ3NDEKTSV4RRFFQ69G5FAV") == "2016-07-30T23:54:10Z"
    assert id_instant("not a ulid") == ""
    assert id_instant("01ARZ3NDEKTSV4RRFFQ69G5FAU!"[:26].replace("0", "U")) == ""
