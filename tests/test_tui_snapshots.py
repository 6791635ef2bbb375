"""Snapshots of every built screen on the demo workspace at 80×24 and 160×48.

The clock is pinned (GOALTUI_NOW), the theme fixed, cursors do not blink. Update
with ``pytest tests/test_tui_snapshots.py --snapshot-update`` after checking the SVGs.
"""
# ruff: noqa: F811  (pytest fixtures imported from test_tui_support)

from __future__ import annotations

from typing import Any

import pytest

from goaltui.tui.app import create_app
from goaltui.tui.screens.alignment import AlignmentScreen
from goaltui.workspace import Workspace
from test_tui_support import demo, demo_template, mirror_rows, no_blink, wait_until  # noqa: F401

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]

pytestmark = pytest.mark.slow  # each test starts the app on a copy of the demo (1–4 s)


KEYS = {
    "strategy": "1",
    "checkin": "6",
    "timeline": "4",
    "people": "5",
    "raci": "5",
    "priorities": "7",
    "review": "8",
    "feedback": "9",
    "conflicts": "exclamation_mark",
}


def _runner(steps: str, ids: dict[str, str]) -> Any:
    async def run_before(pilot: Any) -> None:
        app = pilot.app
        await wait_until(
            pilot, lambda: app.ready and isinstance(app.screen, AlignmentScreen), "start"
        )
        if steps == "detail":
            await app.action_show("detail", goal_id=ids["goal.launch"])
            await wait_until(pilot, lambda: app.detail.history_loaded, "history")
        elif steps in KEYS:
            await pilot.press(KEYS[steps])
            if steps == "conflicts":
                await wait_until(pilot, lambda: app.screen.loaded, "conflicts loaded")
            elif steps == "raci":
                await pilot.press("r")
        elif steps == "help":
            await pilot.press("question_mark")
        elif steps == "form":
            await pilot.press("e")
        await pilot.pause()
        no_blink(app)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "screen",
    ["alignment", "detail", "strategy", "checkin", "help", "form", *list(KEYS)[2:]],
)
def test_screen_snapshot(snap_compare: Any, demo: Any, screen: str, size: tuple[int, int]) -> None:
    paths, ids = demo
    if screen == "checkin":
        active = {g["id"] for g in mirror_rows(paths, "goals", status="active")}
        owners = {k["owner"] for k in mirror_rows(paths, "kpis") if k["goal"] in active}
        people = sorted(
            (p["name"], p["id"]) for p in mirror_rows(paths, "people") if p["id"] in owners
        )
        with Workspace.open(paths) as ws:
            ws.set_me(people[0][1])
    app = create_app(paths, engine=False)
    assert snap_compare(app, terminal_size=size, run_before=_runner(screen, ids))


@pytest.mark.parametrize("look", ["light", "no_color"])
@pytest.mark.parametrize("screen", ["alignment", "detail"])
def test_readable_looks(
    snap_compare: Any, demo: Any, monkeypatch: pytest.MonkeyPatch, screen: str, look: str
) -> None:
    """The tree and the goal detail in the light theme and with NO_COLOR (issue 4)."""
    from goaltui.tui.app import LIGHT

    paths, ids = demo
    if look == "no_color":
        monkeypatch.setenv("NO_COLOR", "1")  # read when the app is created
    app = create_app(paths, engine=False, theme=LIGHT if look == "light" else "textual-dark")
    assert app.no_color == (look == "no_color")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_runner(screen, ids))
