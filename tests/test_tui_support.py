"""Shared fixtures of the TUI tests (no tests here): the demo workspace, waiting, screen text.

The demo is built once per session with the clock pinned, then copied for each test,
so every test gets its own real workspace directory, document and mirror.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from goaltui.paths import WorkspacePaths

NOW = "2026-11-27T10:00:00Z"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    from goaltui.demo import build_demo
    from goaltui.workspace import Workspace

    previous = os.environ.get("GOALTUI_NOW")
    os.environ["GOALTUI_NOW"] = NOW
    try:
        data = tmp_path_factory.mktemp("tui-demo") / "data"
        with Workspace.create(WorkspacePaths(data, "demo")) as ws:
            ids = build_demo(ws)
            ws.ensure_mirror()
    finally:
        if previous is None:
            os.environ.pop("GOALTUI_NOW", None)
        else:
            os.environ["GOALTUI_NOW"] = previous
    return data, ids


@pytest.fixture
def demo(
    demo_template: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[WorkspacePaths, dict[str, str]]:
    """A private copy of the demo workspace, with the clock pinned."""
    monkeypatch.setenv("GOALTUI_NOW", NOW)
    monkeypatch.delenv("NO_COLOR", raising=False)
    source, ids = demo_template
    data = tmp_path / "data"
    shutil.copytree(source, data)
    return WorkspacePaths(data, "demo"), ids


async def wait_until(pilot: Any, condition: Callable[[], Any], what: str, tries: int = 400) -> Any:
    """Let the app process messages until ``condition()`` is truthy (no fixed sleeps)."""
    for _ in range(tries):
        value = condition()
        if value:
            return value
        await pilot.pause(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def started(pilot: Any) -> Any:
    """Wait until the app is ready on its alignment tree; returns that screen."""
    from goaltui.tui.screens.alignment import AlignmentScreen

    app = pilot.app
    await wait_until(pilot, lambda: app.ready and isinstance(app.screen, AlignmentScreen), "start")
    return app.screen


def screen_text(app: Any) -> str:
    """What the terminal shows right now, as plain text lines."""
    return "\n".join(s.text.rstrip() for s in app.screen._compositor.render_strips())


def reopen_records(paths: WorkspacePaths, collection: str) -> list[Any]:
    """Records of a collection as the document on disk has them (a fresh Workspace)."""
    from goaltui.workspace import Workspace

    with Workspace.open(paths) as ws:
        return ws.records(collection, include_archived=True)


def mirror_rows(paths: WorkspacePaths, collection: str, **where: Any) -> list[dict[str, Any]]:
    from goaltui.mirror.read import MirrorReader

    with MirrorReader(paths.mirror) as reader:
        return reader.list_records(collection, where=where or None, include_archived=True)


def no_blink(app: Any) -> None:
    """Stop every text cursor from blinking, so screenshots are stable."""
    from textual.widgets import Input, TextArea

    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    for area in app.screen.query(TextArea):
        area.cursor_blink = False


def form_shown(app: Any) -> Any:
    """The RecordForm on top once it is composed and mounted (else None)."""
    from goaltui.tui.dialogs.record_form import RecordForm

    form = app.screen
    if isinstance(form, RecordForm) and form.is_mounted and form.query("#cancel"):
        return form
    return None
