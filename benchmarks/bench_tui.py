"""The TUI driven headless (Textual's Pilot) and in a real pseudo-terminal (``pty``).

Rows: cold start to the first frame of the alignment tree (pty, whole process), the same
for an empty Textual app started alternately with it (the reference), key →
screen for a cursor move (pty), bytes written per cursor move (pty), an
edit saved from a form (headless, real engine), the longest event-loop stall during
start-up, a remote merge of 1,000 changes and a compaction (a loop-lag probe in the
app's loop), and the UI process's resident memory (pty, VmRSS).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import Benchmark, Context, Row, Unavailable, log

__all__ = ["BENCHMARKS", "LoopLag"]

NAME = "tui"
PTY_STARTS = 5
MOVES = 60
QUICK_MOVES = 10
EDITS = 30
QUICK_EDITS = 3
REMOTE_CHANGES = 1000
QUICK_REMOTE_CHANGES = 20
DOWN = b"\x1b[B"
UP = b"\x1b[A"
EMPTY_APP = Path(__file__).with_name("empty_textual_app.py")


class LoopLag:
    """A task that sleeps ``tick`` seconds at a time and records how late it wakes up."""

    def __init__(self, tick: float = 0.002) -> None:
        self.tick = tick
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.tick)
            self.worst = max(self.worst, time.perf_counter() - before - self.tick)

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.get_running_loop().create_task(self._run())

    def reset(self) -> None:
        self.worst = 0.0

    async def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.worst


def _copy(ctx: Context, size: int, what: str) -> Path:
    generated = ctx.workspace(size)
    copy = ctx.scratch(f"tui-{what}-{size}")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(generated.paths.data_dir, copy)
    return copy


def _goaltui() -> str:
    from benchmarks.bench_cli import goaltui_binary

    return goaltui_binary()


# --- in a pseudo-terminal ------------------------------------------------------------------


def _pty_rows(ctx: Context, size: int, data: Path, name: str) -> list[Row]:
    from benchmarks.tui_pty import MARKER, PtyApp, PtyTimeout

    argv = [_goaltui(), "--data-dir", str(data), "-w", name]
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    env.pop("NO_COLOR", None)
    start = Row(NAME, "cold start → first frame (pty, whole process)", size)
    empty = Row(NAME, "empty Textual app: cold start → first frame (pty, reference)", size)
    latency = Row(NAME, "cursor move key → screen (pty)", size)
    sent = Row(NAME, "bytes to the terminal per cursor move (pty)", size, unit="B")
    rss = Row(NAME, "UI process resident memory (pty, VmRSS)", size, unit="B")
    runs = 1 if ctx.quick else PTY_STARTS
    moves = QUICK_MOVES if ctx.quick else MOVES
    for run in range(runs + 1):  # run 0 warms the page cache (and the mirror, if stale)
        if run % 2:  # alternating, so that both see the same moments of the machine
            _empty_start(env, empty, run)
        app = PtyApp(argv, env=env)
        try:
            first = app.wait_for(MARKER, 300)
            if run:
                start.samples.append(first)
            if run == runs:
                app.settle(0.5)
                app.key(DOWN, quiet=1.0)  # the first key after start-up is not measured
                app.key(UP, quiet=1.0)
                for _ in range(moves):
                    seconds, written = app.key(DOWN)
                    latency.samples.append(seconds)
                    sent.samples.append(written)
                rss.samples.append(app.rss_bytes())
        except PtyTimeout as exc:
            raise Unavailable(str(exc)) from None
        finally:
            app.close()
        if not run % 2:
            _empty_start(env, empty, run)
    start.note = "started alternately with the empty Textual app of the reference row"
    empty.note = (
        "benchmarks/empty_textual_app.py (one Static with the marker), timed the same way "
        "in the same run: Textual's own floor on this machine; goaltui's cost is the difference"
    )
    latency.note = "key written → last byte of the update read (done: 150 ms without output)"
    return [start, empty, latency, sent, rss]


def _empty_start(env: dict[str, str], row: Row, run: int) -> None:
    """Start the empty Textual app once; its first frame's time goes to ``row`` (not run 0)."""
    from benchmarks.tui_pty import MARKER, PtyApp, PtyTimeout

    app = PtyApp([sys.executable, str(EMPTY_APP)], env=env)
    try:
        first = app.wait_for(MARKER, 60)
    except PtyTimeout as exc:
        raise Unavailable(f"empty Textual app: {exc}") from None
    finally:
        app.close()
    if run:
        row.samples.append(first)


# --- headless, through Pilot ---------------------------------------------------------------


async def _wait(pilot: Any, condition: Callable[[], Any], what: str, limit: float = 120) -> Any:
    deadline = time.perf_counter() + limit
    while not (value := condition()):
        if time.perf_counter() > deadline:
            raise Unavailable(f"timed out waiting for {what}")
        await pilot.pause()
    return value


async def _until(condition: Callable[[], bool], what: str, limit: float = 120) -> None:
    """Poll ``condition`` every millisecond (no Pilot settling in between)."""
    deadline = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > deadline:
            raise Unavailable(f"timed out waiting for {what}")
        await asyncio.sleep(0.001)


def _write_remote(
    data: Path, name: str, goal_ids: list[str], count: int
) -> subprocess.Popen[bytes]:
    """Another process writes ``count`` changes (one edit each) to the same workspace."""
    script = (
        "import sys\n"
        "from goaltui.paths import WorkspacePaths\n"
        "from goaltui.workspace import Workspace\n"
        "data, name, count, *goals = sys.argv[1:]\n"
        "from pathlib import Path\n"
        "with Workspace.open(WorkspacePaths(Path(data), name)) as ws:\n"
        "    for i in range(int(count)):\n"
        "        ws.edit(goals[i % len(goals)], {'title': f'Remote edit {i}'})\n"
    )
    argv = [sys.executable, "-c", script, str(data), name, str(count), *goal_ids[:50]]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _form_shown(app: Any, form_class: Any) -> Any:
    """The form on top once it is composed and mounted (else None)."""
    form = app.screen
    if isinstance(form, form_class) and form.is_mounted and form.query("#cancel"):
        return form
    return None


class FrameWatch:
    """The time of the first frame the app displays while a condition holds.

    Wraps the app's ``_display`` (Textual calls it with each rendered frame): the
    condition is checked as the frame goes out, so the time is that of the first frame
    that shows the state, not of a later one after a probe noticed the state.
    """

    def __init__(self, app: Any) -> None:
        self.condition: Callable[[], bool] | None = None
        self.at: float | None = None
        display = app._display

        def watched(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is not None and self.condition is not None and self.condition():
                self.at, self.condition = time.perf_counter(), None

        app._display = watched

    def watch(self, condition: Callable[[], bool]) -> None:
        self.condition, self.at = condition, None


def _shows(app: Any, screen: Any, goal_id: str, title: str) -> Callable[[], bool]:
    """Whether the form has closed, the mirror has ``title`` and the list was reloaded."""

    def check() -> bool:
        if app.screen is not screen:
            return False
        found = app.backend.reader.get(goal_id)
        if found is None or found[1].get("title") != title:
            return False
        index = screen.model.index_of(goal_id)  # the goal may sort out of the loaded page
        return index is None or screen.model.rows[index].goal.get("title") == title

    return check


async def _headless(ctx: Context, size: int, data: Path, name: str) -> list[Row]:
    from textual import events
    from textual.widgets import Input

    from goaltui.paths import WorkspacePaths
    from goaltui.tui.app import create_app
    from goaltui.tui.dialogs.record_form import RecordForm
    from goaltui.tui.screens.alignment import AlignmentScreen

    paths = WorkspacePaths(data, name)
    edit = Row(NAME, "edit saved from a form → list shows it (headless, engine)", size)
    stall_start = Row(NAME, "longest loop stall: start-up", size)
    stall_merge = Row(NAME, "longest loop stall: remote merge of changes", size)
    stall_compact = Row(NAME, "longest loop stall: compaction", size)
    probe = LoopLag()
    probe.start()
    app = create_app(paths, engine=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _wait(
            pilot,
            lambda: app.ready and isinstance(app.screen, AlignmentScreen) and app.screen,
            "start",
        )
        backend = app.backend
        assert backend is not None
        await backend._ready()  # the engine has started (in the background)
        frames = FrameWatch(app)
        stall_start.samples.append(probe.worst)
        for i in range(QUICK_EDITS if ctx.quick else EDITS):
            await pilot.press("e")
            form = await _wait(pilot, lambda: _form_shown(app, RecordForm), "form")
            title = f"Edited in the TUI {i}"
            goal_id = form.values["id"]
            form.query_one("#field-title", Input).value = title
            await pilot.pause()  # the frame with the typed title is out
            frames.watch(_shows(app, screen, goal_id, title))
            began = time.perf_counter()
            app.post_message(events.Key("ctrl+s", None))  # as the terminal driver does
            await _until(lambda: frames.at is not None, "a frame showing the saved edit")
            assert frames.at is not None
            edit.samples.append(frames.at - began)
            await pilot.pause()  # let the app settle before the next form
        changes = QUICK_REMOTE_CHANGES if ctx.quick else REMOTE_CHANGES
        goal_ids = ctx.workspace(size).goal_ids
        last = f"Remote edit {changes - 1}"
        probe.reset()
        writer = _write_remote(data, name, goal_ids, changes)
        while writer.poll() is None:
            await pilot.pause(0.05)
        if writer.returncode != 0:
            err = (writer.stderr.read() if writer.stderr else b"").decode()[-200:]
            raise Unavailable(f"the remote writer failed: {err}")
        target = goal_ids[(changes - 1) % min(len(goal_ids), 50)]
        await _wait(
            pilot, lambda: (backend.reader.get(target) or ("", {}))[1].get("title") == last, "merge"
        )
        await pilot.pause(0.5)
        stall_merge.samples.append(probe.worst)
        stall_merge.note = f"{changes} changes written by another process while the app runs"
        probe.reset()
        await backend.call("compact")
        await pilot.pause(0.3)
        stall_compact.samples.append(probe.worst)
    await probe.stop()
    edit.note = "ctrl+s posted → first frame out with the form closed and the row's new title"
    return [edit, stall_start, stall_merge, stall_compact]


def run(ctx: Context, size: int) -> list[Row]:
    """Every TUI row at one size, each on its own copy of the cached workspace."""
    try:
        import textual  # noqa: F401
    except ImportError:
        raise Unavailable("textual is not installed") from None
    name = ctx.workspace(size).paths.name
    rows: list[Row] = []
    log(f"{NAME} at {size}: pseudo-terminal")
    pty_copy = _copy(ctx, size, "pty")
    try:
        rows += _pty_rows(ctx, size, pty_copy, name)
    except Unavailable as exc:
        rows.append(Row.unavailable(NAME, "pty rows", size, str(exc)))
    finally:
        shutil.rmtree(pty_copy, ignore_errors=True)
    log(f"{NAME} at {size}: headless")
    headless_copy = _copy(ctx, size, "headless")
    try:
        rows += asyncio.run(_headless(ctx, size, headless_copy, name))
    except Unavailable as exc:
        rows.append(Row.unavailable(NAME, "headless rows", size, str(exc)))
    finally:
        shutil.rmtree(headless_copy, ignore_errors=True)
    return rows


BENCHMARKS = [Benchmark(NAME, run)]
