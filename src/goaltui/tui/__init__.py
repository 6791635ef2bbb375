"""The terminal UI (Textual). :func:`run_app` is the entry point for a real terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goaltui.paths import WorkspacePaths

__all__ = ["run_app"]


def run_app(paths: WorkspacePaths) -> None:
    """Run the TUI on ``paths`` until the user quits, with the collector paused at start.

    Importing Textual and building the first screen creates ~100k objects, and Python's
    collector walked the young ones again and again meanwhile (measured: ~14% of the
    time to the first frame). It is paused until the first frame is out; the app then
    freezes what start-up made and turns it back on (``textual_leaks.freeze_startup``).

    Before Textual is imported, a forked child starts reading the alignment tree's first
    page (``tui/prefetch.py``), on another core while this process imports Textual.
    """
    import gc

    gc.disable()
    try:
        from goaltui.tui.prefetch import Prefetch

        first_page = Prefetch.start(paths)
        from goaltui.tui.app import run_app as run

        run(paths, first_page=first_page)
    finally:
        gc.enable()
