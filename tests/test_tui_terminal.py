"""The TUI in a real pseudo-terminal: what its first frame sends, and how it hands over output."""

# ruff: noqa: F811  (pytest fixtures imported from test_tui_support)

from __future__ import annotations

import os
import re
import sys

from benchmarks.tui_pty import MARKER, PtyApp

from goaltui.paths import WorkspacePaths
from goaltui.tui.app import SWITCH_INTERVAL, create_app
from test_tui_support import demo, demo_template, wait_until  # noqa: F401  (fixtures)

TOP_LEFT = b"\x1b[1;1H"  # each full frame starts by moving the cursor home


def test_the_first_frame_is_the_whole_alignment_screen(
    demo: tuple[WorkspacePaths, dict[str, str]],
) -> None:
    """The first frame sent holds every line of the tree screen: no partial frame first,
    nothing missing that a later frame adds."""
    paths, _ids = demo
    code = (
        "import sys\n"
        "sys.argv = ['goaltui', '--data-dir', sys.argv[1], '-w', 'demo']\n"
        "from goaltui.cli import main\n"
        "main()\n"
    )
    term = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    app = PtyApp([sys.executable, "-c", code, str(paths.data_dir)], env=term)
    try:
        app.wait_for(MARKER, 30)
        app.settle(quiet=0.3, limit=10)
        output = bytes(app.output)
        os.write(app.master, b"q")
        app.settle(quiet=0.5, limit=20)
        assert app.proc.wait(timeout=20) == 0
    finally:
        app.close()
    starts = [m.start() for m in re.finditer(re.escape(TOP_LEFT), output)]
    assert starts, output[:500]
    frames = [output[a:b] for a, b in zip(starts, [*starts[1:], len(output)], strict=True)]
    first = frames[0]
    text = first.decode("utf-8", "replace")
    assert "goaltui — demo" in text  # the title bar
    assert "sorted by title" in text  # the heading
    assert "Launch Pulse 2" in text  # a goal row (demo data)
    assert "⚠" in text or "no warnings" in text  # the status line of the selected goal
    assert "Filter" in text and "palette" in text  # the key bar (cut short at 80 columns)
    full = [frame for frame in frames if b"sorted by" in frame]
    assert full[-1] == first  # the screen once start-up has settled: nothing was missing


async def test_the_app_runs_with_a_short_switch_interval(
    demo: tuple[WorkspacePaths, dict[str, str]],
) -> None:
    """Textual's output thread and the row workers get the interpreter within 0.5 ms
    while the app runs; the process's interval is given back when it ends."""
    paths, _ids = demo
    before = sys.getswitchinterval()
    app = create_app(paths, engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.ready, "the app to start")
        assert sys.getswitchinterval() == SWITCH_INTERVAL < before
    assert sys.getswitchinterval() == before


def test_the_collector_paused_for_start_up_is_back_on_once_start_up_is_frozen() -> None:
    """``goaltui.tui.run_app`` pauses the collector while Textual is imported and the first
    screen built; freezing start-up's objects after the first frame turns it back on."""
    import gc

    from goaltui.tui.textual_leaks import freeze_startup, unfreeze

    gc.disable()
    try:
        freeze_startup()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        unfreeze()
        gc.enable()
