"""The alignment tree's first page read ahead by a forked child (``goaltui.tui.prefetch``):
the same rows and warnings the app would read itself, and never a stale page."""

# ruff: noqa: F811  (pytest fixtures imported from test_tui_support)

from __future__ import annotations

import select
from typing import Any

from goaltui.model.alignment import all_goal_warnings
from goaltui.paths import WorkspacePaths
from goaltui.tui.app import create_app
from goaltui.tui.prefetch import FirstPage, Prefetch, read_first_page
from goaltui.tui.render import warning_marks
from goaltui.tui.widgets.goal_list import GoalList
from goaltui.workspace import Workspace
from test_tui_support import demo, demo_template, started  # noqa: F401  (fixtures)

ROWS = 30


def _model_warnings(paths: WorkspacePaths) -> dict[str, list[str]]:
    """Warning codes of every goal, from the model's whole-workspace computation."""
    with Workspace.open(paths) as ws:
        found = all_goal_warnings(
            ws.records("goals", include_archived=True),
            kpis=ws.records("kpis", include_archived=True),
            checkins=ws.records("checkins", include_archived=True),
            cycles=ws.records("cycles", include_archived=True),
            agreements=ws.records("agreements", include_archived=True),
        )
    return {goal: [w.code for w in warnings] for goal, warnings in found.items()}


def test_the_first_page_has_the_models_warnings(demo: Any) -> None:
    paths, _ = demo
    page = read_first_page(paths, ROWS)
    assert page is not None
    rows = page.snapshot.rows
    expected = _model_warnings(paths)
    assert rows and any(expected[r.id] for r in rows)  # the demo has warnings to show
    for row in rows[:ROWS]:
        assert [w.code for w in page.snapshot.facts.warnings[row.id]] == expected[row.id]


def test_the_forked_child_reads_the_same_page(demo: Any) -> None:
    paths, _ = demo
    prefetch = Prefetch.start(paths, ROWS)
    assert prefetch is not None  # this machine has more than one core
    page = prefetch.take()
    assert isinstance(page, FirstPage)
    assert page == read_first_page(paths, ROWS)


def test_a_stale_mirror_gives_no_page(demo: Any) -> None:
    """Chunks on disk the mirror does not have yet: the app must catch up first."""
    paths, _ = demo
    paths.mirror.unlink()
    assert read_first_page(paths, ROWS) is None


async def test_the_first_frame_shows_the_read_ahead_rows_with_their_warning_marks(
    demo: Any,
) -> None:
    paths, _ = demo
    expected = _model_warnings(paths)
    prefetch = Prefetch.start(paths, ROWS)
    app = create_app(paths, engine=False, first_page=prefetch)
    async with app.run_test(size=(100, ROWS)) as pilot:
        screen = await started(pilot)
        assert app.take_first_page() is None  # the screen took it
        goals = screen.query_one(GoalList)
        shown = [goals.render_line(y).text for y in range(goals.size.height)]
        rows = screen.model.rows[: goals.size.height]
        assert any(expected[r.id] for r in rows)
        for row, line in zip(rows, shown, strict=False):
            marks = warning_marks(expected[row.id])
            assert (f"⚠{marks}" in line) if marks else ("⚠" not in line), (row.id, line)


async def test_a_page_read_before_a_change_is_not_shown(demo: Any) -> None:
    """The mirror changed after the child read it: the screen reads the rows itself."""
    paths, ids = demo
    goal = ids["goal.sustainable"]
    prefetch = Prefetch.start(paths, ROWS)
    assert prefetch is not None
    assert select.select([prefetch.fd], [], [], 30)[0]  # the child has read and written
    with Workspace.open(paths) as ws:
        before = ws.get(goal).title
        ws.edit(goal, {"title": "Renamed after the read-ahead"})
    app = create_app(paths, engine=False, first_page=prefetch)
    async with app.run_test(size=(100, ROWS)) as pilot:
        screen = await started(pilot)
        titles = [r.goal.get("title") for r in screen.model.rows]
        assert "Renamed after the read-ahead" in titles
        assert before not in titles
