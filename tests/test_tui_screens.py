"""Pilot tests of screens 4, 5, 7, 8, 9 and conflicts, checked in the document and the mirror."""
# ruff: noqa: F811  (pytest fixtures imported from test_tui_support)

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList, TextArea

from goalsync.relay.server import Relay
from goalsync.storage import DocumentStore, FileChunkStore
from goaltui.paths import WorkspacePaths
from goaltui.tui.app import create_app
from goaltui.tui.backend import Backend, Change
from goaltui.tui.dialogs.prompt import Prompt
from goaltui.tui.dialogs.record_form import RecordForm
from goaltui.tui.screens.alignment import AlignmentScreen
from goaltui.tui.screens.conflicts import ConflictsScreen
from goaltui.tui.screens.feedback import FeedbackScreen
from goaltui.tui.screens.goal_detail import GoalDetailScreen
from goaltui.tui.screens.people import PeopleScreen
from goaltui.tui.screens.priorities import PrioritiesScreen
from goaltui.tui.screens.review import ReviewScreen
from goaltui.tui.screens.timeline import TimelineScreen
from goaltui.workspace import Workspace
from goaltui.workspace.sync import fetch, sync_once
from test_tui_support import (  # noqa: F401  (fixtures)
    demo,
    demo_template,
    form_shown,
    mirror_rows,
    reopen_records,
    screen_text,
    wait_until,
)

pytestmark = pytest.mark.slow  # each test starts the app on a copy of the demo (1–4 s)


async def _on(pilot: Any, key: str, kind: type) -> Any:
    app = pilot.app
    await wait_until(pilot, lambda: app.ready and isinstance(app.screen, AlignmentScreen), "start")
    await pilot.press(key)
    return await wait_until(pilot, lambda: isinstance(app.screen, kind) and app.screen, key)


async def _form(pilot: Any) -> RecordForm:
    app = pilot.app
    form: RecordForm = await wait_until(pilot, lambda: form_shown(app), "form")
    return form


async def test_timeline_marks_overdue_groups_and_jumps_to_the_goal(demo: Any) -> None:
    paths, ids = demo
    [late] = mirror_rows(paths, "tasks", id=ids["task.shiftb"])
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _on(pilot, "4", TimelineScreen)
        text = screen_text(app)
        line = next(ln for ln in text.splitlines() if late["title"][:30] in ln)
        assert line.lstrip().startswith("!") and "overdue" in line
        assert "2026-W47" in text
        await pilot.press("w")
        await wait_until(pilot, lambda: "November 2026" in screen_text(app), "by month")
        options = screen.query_one(OptionList)
        options.highlighted = options.get_option_index(
            next(o.id for o in options._options if o.id and o.id.endswith(late["id"]))
        )
        await pilot.press("enter")
        detail = await wait_until(
            pilot, lambda: isinstance(app.screen, GoalDetailScreen) and app.screen, "detail"
        )
        assert detail.goal_id == late["goal"]


async def test_people_workload_and_raci(demo: Any) -> None:
    paths, ids = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await _on(pilot, "5", PeopleScreen)
        tom = next(r for r in screen.rows if r["id"] == ids["person.tom"])
        open_tasks = [
            t
            for t in mirror_rows(paths, "tasks", assignee=ids["person.tom"])
            if t["status"] != "done"
        ]
        assert tom["open_tasks"] == len(open_tasks) and tom["overdue"] == 1
        assert "! 1" in screen_text(app)
        await pilot.press("r")
        await wait_until(pilot, lambda: "R responsible" in screen_text(app), "RACI shown")
        launch_line = next(ln for ln in screen_text(app).splitlines() if "Launch Pulse 2" in ln)
        assert "A" in launch_line and "R" in launch_line  # Dana accountable, Alice responsible


async def test_rank_priorities_and_save(demo: Any) -> None:
    paths, ids = demo
    me = ids["person.alice"]
    cycle = ids["cycle.q4"]
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _on(pilot, "7", PrioritiesScreen)
        first, second = screen.others[0], screen.others[1]
        await pilot.press("space", "down", "space", "shift+up")
        assert screen.ranking == [second, first] and screen.dirty
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not screen.dirty and screen.saved_ranking, "saved")
    [mine] = [p for p in reopen_records(paths, "priorities") if p.get("person") == me]
    assert mine.get("ranking") == [second, first] and mine.get("cycle") == cycle
    [row] = mirror_rows(paths, "priorities", person=me)
    assert row["ranking"] == [second, first]


async def test_add_a_review_of_the_cycle(demo: Any) -> None:
    paths, ids = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await _on(pilot, "8", ReviewScreen)
        assert screen.cycle_id == ids["cycle.q4"]
        await pilot.press("a")
        form = await _form(pilot)
        form.query_one("#field-score", Input).value = "0.8"
        form.query_one("#field-outcome", TextArea).load_text("Launch [on] time")
        form.query_one("#field-lessons", TextArea).load_text("Plan capacity earlier")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "form closed")
        reviews = screen.query_one("#review-reviews")
        await wait_until(pilot, lambda: "Launch [on] time" in str(reviews.render()), "shown")
        assert "★ 80%" in str(reviews.render())
    [review] = [
        r for r in reopen_records(paths, "reviews") if r.get("outcome") == "Launch [on] time"
    ]
    assert review.get("cycle") == ids["cycle.q4"] and review.get("score") == 0.8
    assert review.get("author") == ids["person.alice"]
    assert mirror_rows(paths, "reviews", id=review.id)[0]["lessons"] == "Plan capacity earlier"


async def test_resolve_and_reply_in_the_feedback_inbox(demo: Any) -> None:
    paths, _ = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _on(pilot, "9", FeedbackScreen)
        item = screen.current
        assert item is not None and not item["resolved"]
        count = len(screen.items)
        await pilot.press("x")
        await wait_until(pilot, lambda: len(screen.items) == count - 1, "resolved item hidden")
        await pilot.press("f")
        await wait_until(pilot, lambda: not screen.unresolved_only, "all shown")
        screen.query_one(OptionList).highlighted = next(
            n for n, i in enumerate(screen.items) if i["id"] == item["id"]
        )
        assert "✓" in screen_text(app)
        await pilot.press("r")
        form = await _form(pilot)
        form.query_one("#field-text", TextArea).load_text("Agreed: [split] by country")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "form closed")
        await wait_until(pilot, lambda: "[split] by country" in screen_text(app), "reply shown")
    records = {r.id: r for r in reopen_records(paths, "feedback")}
    assert records[item["id"]].get("resolved") is True
    assert mirror_rows(paths, "feedback", id=item["id"])[0]["resolved"] is True
    [reply] = [r for r in records.values() if r.get("text") == "Agreed: [split] by country"]
    assert reply.get("target") == item["target"] and reply.get("kind") == "comment"
    assert mirror_rows(paths, "feedback", id=reply.id)[0]["target"] == item["target"]


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[Relay]:
    server = Relay(DocumentStore(FileChunkStore(tmp_path / "relay")), host="127.0.0.1", port=0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _forked(tmp_path: Path, relay: Relay) -> tuple[WorkspacePaths, str]:
    """Two devices edit one goal's title while apart; B's directory now has the conflict."""
    a = Workspace.create(WorkspacePaths(tmp_path / "a", "team"))
    a.set_me(a.add_person("Ana"))
    goal = a.add_goal("Grow revenue")
    await sync_once(a, relay.url, None)
    b_paths = WorkspacePaths(tmp_path / "b", "team")
    Workspace.attach(b_paths, a.doc_id)
    await fetch(b_paths, relay.url, None)
    b = Workspace.open(b_paths)
    b.set_me(b.add_person("Ben"))
    await sync_once(b, relay.url, None)
    await sync_once(a, relay.url, None)
    a.edit(goal, {"title": "Grow revenue to 2M"})
    b.edit(goal, {"title": "Grow revenue in the EU"})
    await sync_once(a, relay.url, None)
    _, found = await sync_once(b, relay.url, None)
    assert found == 1 and len(b.conflicts()) == 1
    a.close()
    b.close()
    return b_paths, goal


async def test_keep_one_competing_value(tmp_path: Path, relay: Relay) -> None:
    paths, goal = await _forked(tmp_path, relay)
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _on(pilot, "exclamation_mark", ConflictsScreen)
        await wait_until(pilot, lambda: screen.loaded and screen.conflicts, "conflicts loaded")
        text = screen_text(app)
        assert "keep Ana's: Grow revenue to 2M" in text
        assert "keep Ben's: Grow revenue in the EU" in text
        await pilot.press("enter")  # from the conflict to its values
        values = screen.query_one("#values", OptionList)
        assert values.has_focus
        values.highlighted = next(
            n for n, v in enumerate(screen.conflicts[0]["values"]) if v["who"] == "Ana"
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.loaded and not screen.conflicts, "settled")
        assert "No conflicts" in screen_text(app)
    with Workspace.open(paths) as ws:
        assert ws.get(goal).title == "Grow revenue to 2M" and ws.conflicts() == []
    assert mirror_rows(paths, "goals", id=goal)[0]["title"] == "Grow revenue to 2M"


async def test_type_a_new_value_for_a_conflict(tmp_path: Path, relay: Relay) -> None:
    paths, goal = await _forked(tmp_path, relay)
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _on(pilot, "ctrl+k", ConflictsScreen)
        await wait_until(pilot, lambda: screen.loaded and screen.conflicts, "conflicts loaded")
        await pilot.press("n")
        prompt = await wait_until(
            pilot, lambda: isinstance(app.screen, Prompt) and app.screen, "prompt"
        )
        prompt.query_one(Input).value = "Grow EU revenue to 2M"
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.loaded and not screen.conflicts, "settled")
    with Workspace.open(paths) as ws:
        assert ws.get(goal).title == "Grow EU revenue to 2M" and ws.conflicts() == []
    assert mirror_rows(paths, "goals", id=goal)[0]["title"] == "Grow EU revenue to 2M"


async def test_an_edit_made_before_the_engine_starts_reaches_the_screens(demo: Any) -> None:
    """The screens read the mirror, the engine starts after the first frame: a second
    process's edit in between must still make them re-read (the engine reports only the
    changes it sees once it is ready)."""
    paths, _ = demo
    with Workspace.open(paths) as ws:
        ws.ensure_mirror()  # fresh: the engine is started later, not at open
    backend = await Backend.open(paths, engine=True)
    changes: list[Change] = []
    backend.on_change(changes.append)
    try:
        with Workspace.open(paths) as other:
            other.add_goal("Written before the engine started", level="strategic")
        backend.start_engine()
        await backend.call("whoami")  # waits for the engine to be ready
        assert backend.uses_engine
        assert any(c.everything and c.origin == "disk" for c in changes)
    finally:
        await backend.close()


async def test_with_the_real_engine_a_new_goal_is_durable(demo: Any) -> None:
    paths, _ = demo
    app = create_app(paths, engine=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_until(
            pilot,
            lambda: app.ready and isinstance(app.screen, AlignmentScreen) and app.screen,
            "start",
            tries=6000,
        )
        await pilot.press("a")
        form = await _form(pilot)  # the engine child process starts meanwhile
        form.query_one("#field-title", Input).value = "Engine-made [goal]"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "form closed", tries=6000)
        await wait_until(
            pilot, lambda: "Engine-made [goal]" in screen_text(app), "in the tree", tries=6000
        )
        assert app.backend is not None and app.backend.uses_engine
    assert any(g.get("title") == "Engine-made [goal]" for g in reopen_records(paths, "goals"))
    assert mirror_rows(paths, "goals", title="Engine-made [goal]")
