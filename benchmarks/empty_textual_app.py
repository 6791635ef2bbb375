"""An empty Textual app: one Static with the pty harness's marker, for a reference start.

``bench_tui`` starts it alternately with ``goaltui`` and times its first frame the same
way: Textual's own floor on this machine, in the same run (``python
benchmarks/empty_textual_app.py``).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

TEXT = "Goals (tree) · sorted by title · ? for keys"
"""Contains ``tui_pty.MARKER``, as the alignment tree's heading does."""


class EmptyApp(App[None]):
    """Nothing but one line of text; ``q`` quits (as ``PtyApp.close`` expects)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static(TEXT)


if __name__ == "__main__":
    EmptyApp().run()
