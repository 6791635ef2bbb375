"""Pilot tests of the TUI's flows on the demo workspace, checked in the document and mirror."""
# ruff: noqa: F811  (pytest fixtures imported from test_tui_support)

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, Select, TextArea

from goaltui.tui.app import create_app
from goaltui.tui.dialogs.pick_record import PickRecord
from goaltui.tui.screens.alignment import AlignmentScreen
from goaltui.tui.screens.checkin import CheckinScreen
from goaltui.tui.screens.goal_detail import GoalDetailScreen
from goaltui.workspace import Workspace
from test_tui_support import (  # noqa: F401  (fixtures)
    demo,
    demo_template,
    form_shown,
    mirror_rows,
    reopen_records,
    screen_text,
    started,
    wait_until,
)

pytestmark = pytest.mark.slow  # each test starts the app on a copy of the demo (1–4 s)


async def _type(pilot: Any, text: str) -> None:
    await pilot.press(*["space" if c == " " else c for c in text])


async def test_add_goal_through_the_form(demo: Any) -> None:
    paths, ids = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        await pilot.press("a")
        form = await wait_until(pilot, lambda: form_shown(app), "form")
        await _type(pilot, "Open a second plant")
        form.query_one("#field-due", Input).value = "2027-06-30"
        form.query_one("#field-parent", Select).value = ids["goal.sustainable"]
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, AlignmentScreen), "form closed")
        row = app.screen.goals.current
        assert row is not None and row.goal["title"] == "Open a second plant"
    [goal] = [g for g in reopen_records(paths, "goals") if g.get("title") == "Open a second plant"]
    assert goal.get("due") == "2027-06-30" and goal.get("parent") == ids["goal.sustainable"]
    assert mirror_rows(paths, "goals", id=goal.id)[0]["due"] == "2027-06-30"


async def test_form_shows_each_problem_next_to_its_field(demo: Any) -> None:
    paths, _ = demo
    before = len(reopen_records(paths, "goals"))
    app = create_app(paths, engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        await pilot.press("a")
        form = await wait_until(pilot, lambda: form_shown(app), "form")
        form.query_one("#field-due", Input).value = "someday"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.problems, "problems shown")
        assert app.screen is form
        assert "required" in str(form.query_one("#error-title").render())
        assert "someday" in str(form.query_one("#error-due").render())
        assert str(form.query_one("#error-owner").render()) == ""
    assert len(reopen_records(paths, "goals")) == before


async def test_edit_a_goal_then_undo(demo: Any) -> None:
    paths, ids = demo
    goal_id = ids["goal.sustainable"]
    original = mirror_rows(paths, "goals", id=goal_id)[0]["title"]
    app = create_app(paths, engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        screen = app.screen
        screen.goals.cursor = screen.model.index_of(goal_id)
        await pilot.press("e")
        form = await wait_until(pilot, lambda: form_shown(app), "form")
        form.query_one("#field-title", Input).value = "Run Aldergrove on green power"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "form closed")
        await wait_until(
            pilot, lambda: "Run Aldergrove on green power" in screen_text(app), "new title shown"
        )
        assert (
            mirror_rows(paths, "goals", id=goal_id)[0]["title"] == "Run Aldergrove on green power"
        )
        await pilot.press("u")
        await wait_until(
            pilot, lambda: mirror_rows(paths, "goals", id=goal_id)[0]["title"] == original, "undo"
        )
        await wait_until(pilot, lambda: original[:30] in screen_text(app), "old title shown")
    [goal] = [g for g in reopen_records(paths, "goals") if g.id == goal_id]
    assert goal.get("title") == original


async def test_move_a_goal_under_another_parent(demo: Any) -> None:
    paths, ids = demo
    goal_id, new_parent = ids["goal.sustainable"], ids["goal.launch"]
    app = create_app(paths, engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        screen = app.screen
        screen.goals.cursor = screen.model.index_of(goal_id)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, PickRecord), "picker")
        await _type(pilot, "Launch Pulse 2")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen, "picker closed")
        await wait_until(
            pilot,
            lambda: mirror_rows(paths, "goals", id=goal_id)[0]["parent"] == new_parent,
            "mirror updated",
        )
        row = await wait_until(pilot, lambda: screen.goals.current, "selection")
        assert row.id == goal_id and row.depth == 1
    [goal] = [g for g in reopen_records(paths, "goals") if g.id == goal_id]
    assert goal.get("parent") == new_parent


async def test_check_in_flow_saves_and_moves_on(demo: Any) -> None:
    paths, _ = demo
    active = {g["id"] for g in mirror_rows(paths, "goals", status="active")}
    kpi = sorted(
        (k for k in mirror_rows(paths, "kpis") if k["goal"] in active and k["owner"]),
        key=lambda k: k["name"],
    )[0]
    with Workspace.open(paths) as ws:
        ws.set_me(kpi["owner"])
    app = create_app(paths, engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        await pilot.press("6")
        screen = await wait_until(
            pilot, lambda: isinstance(app.screen, CheckinScreen) and app.screen, "checkin"
        )
        await wait_until(pilot, lambda: app.focused is screen.query_one("#ci-value"), "focus")
        first = screen.current
        assert first is not None
        await _type(pilot, "42")
        await pilot.press("tab")
        await _type(pilot, "7")
        await pilot.press("tab", "tab")
        await _type(pilot, "steady week")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.saved == 1, "saved")
        assert screen.current is None or screen.current["id"] != first["id"]
    mine = [c for c in reopen_records(paths, "checkins") if c.get("kpi") == first["id"]]
    latest = max(mine, key=lambda c: (c.get("at"), c.id))
    assert (latest.get("value"), latest.get("confidence")) == (42, 7)
    assert latest.get("status") == "on_track" and latest.get("note") == "steady week"
    assert mirror_rows(paths, "kpis", id=first["id"])[0]["current"] == 42


async def test_check_in_from_goal_detail_and_decide(demo: Any) -> None:
    paths, ids = demo
    goal_id = ids["goal.sustainable"]
    app = create_app(paths, engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        screen = app.screen
        screen.goals.cursor = screen.model.index_of(goal_id)
        await pilot.press("enter")
        detail = await wait_until(
            pilot, lambda: isinstance(app.screen, GoalDetailScreen) and app.screen, "detail"
        )
        await wait_until(pilot, lambda: detail.history_loaded, "history")
        await pilot.press("o")
        form = await wait_until(pilot, lambda: form_shown(app), "form")
        form.query_one("#field-note", TextArea).load_text("too ambitious for Q4")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is detail, "form closed")
        section = detail.query_one("#section-agreements")
        await wait_until(pilot, lambda: "too ambitious for Q4" in str(section.render()), "shown")
    decisions = [a for a in reopen_records(paths, "agreements") if a.get("goal") == goal_id]
    assert any(
        a.get("decision") == "object" and a.get("note") == "too ambitious for Q4" for a in decisions
    )
    assert any(r["decision"] == "object" for r in mirror_rows(paths, "agreements", goal=goal_id))


async def test_markup_in_user_text_is_shown_literally(demo: Any) -> None:
    paths, _ = demo
    title = "[bold]Ship[/] the [red]thing[/red] \\[x]"
    with Workspace.open(paths) as ws:
        goal_id = ws.add_goal(title, description="[link=http://x]click[/link] [/]")
    app = create_app(paths, engine=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await started(pilot)
        screen = app.screen
        screen.goals.cursor = screen.model.index_of(goal_id)
        await wait_until(pilot, lambda: title in screen_text(app), "title shown literally")
        await pilot.press("enter")
        detail = await wait_until(
            pilot, lambda: isinstance(app.screen, GoalDetailScreen) and app.screen, "detail"
        )
        await wait_until(pilot, lambda: detail.history_loaded, "history")
        text = screen_text(app)
        assert title in text and "[link=http://x]click[/link] [/]" in text


async def test_edit_by_another_process_appears_without_restart(demo: Any) -> None:
    paths, ids = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        with Workspace.open(paths) as other:  # a second writer on the same directory
            other.add_goal("Written by another process", level="strategic")
            other.edit(ids["goal.sustainable"], {"title": "Renamed elsewhere"})
        await wait_until(
            pilot, lambda: "Written by another process" in screen_text(app), "new goal shown"
        )
        await wait_until(pilot, lambda: "Renamed elsewhere" in screen_text(app), "rename shown")


async def test_status_line_shows_the_selected_goals_warnings_from_the_start(demo: Any) -> None:
    from goaltui.tui.data import batch_warnings
    from goaltui.tui.render import WARNING_MARKS

    paths, _ = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await started(pilot)
        screen = app.screen
        first = screen.model.rows[0]  # selected at start, before any key
        expected = batch_warnings(screen.reader, [first.goal], {first.id: first.child_count})
        status = str(screen.query_one("#status-line").render())
        assert ("no warnings" in status) == (not expected[first.id])
        for _ in range(len(screen.model.rows)):  # to the first goal with a warning
            row = screen.goals.current
            found = batch_warnings(screen.reader, [row.goal], {row.id: row.child_count})[row.id]
            if found:
                break
            await pilot.press("down")
        assert found, "the demo has goals with warnings"
        await pilot.pause()
        status = str(screen.query_one("#status-line").render())
        assert "no warnings" not in status
        assert f"⚠ {WARNING_MARKS[found[0].code]} {found[0].message}" in status


async def test_goals_on_a_parent_loop_made_by_a_merge_show_as_roots(
    demo: Any, tmp_path: Any
) -> None:
    """Two devices each hang one goal under the other (each valid alone); after the merge
    the goals are on a loop, and the tree shows both as roots instead of losing them."""
    import shutil

    from goaltui.paths import WorkspacePaths

    paths, _ = demo
    with Workspace.open(paths) as ws:
        first = ws.add_goal("Loop end one", level="strategic")
        second = ws.add_goal("Loop end two", level="strategic")
        child = ws.add_goal("Under loop end one", level="team", parent=first)
    other = WorkspacePaths(tmp_path / "laptop", paths.name)
    shutil.copytree(paths.data_dir, other.data_dir)
    with Workspace.open(paths) as ws:
        ws.edit(first, {"parent": second})
    with Workspace.open(other) as ws:
        ws.edit(second, {"parent": first})
    shutil.copytree(other.data_dir / "repo", paths.data_dir / "repo", dirs_exist_ok=True)
    app = create_app(paths, engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await started(pilot)
        rows = await wait_until(
            pilot,
            lambda: [r for r in screen.model.rows if r.id in (first, second)],
            "the goals of the loop in the tree",
        )
        assert sorted((r.id, r.depth) for r in rows) == sorted([(first, 0), (second, 0)])
        assert app.backend is not None
        assert app.backend.reader.loop_members() == sorted([first, second])
        screen.model.ensure_facts(0, len(screen.model.rows))
        for row in rows:  # each is marked ⚠l, and why is said on its status line
            assert "parent_loop" in [w.code for w in screen.model.warnings(row) or []]
        index = screen.model.index_of(first)
        assert index is not None and screen.model.expand(index)
        shown = [(r.id, r.depth) for r in screen.model.rows]
        assert (child, 1) in shown  # its own child, under it ...
        assert (second, 1) not in shown  # ... but not the other end of the loop
