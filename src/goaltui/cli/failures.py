"""What a command prints when it fails: one line, never a traceback (click-free)."""

from __future__ import annotations

import os

from goaltui.errors import GoaltuiError

__all__ = ["failure_message"]


def failure_message(exc: Exception) -> str | None:
    """The line to show for ``exc`` raised by a command; None to let it propagate.

    User errors (a GoaltuiError, a validation ValueError) say what was wrong; a file
    system error names the file; anything else is an internal error, shown with what
    to do unless ``GOALTUI_DEBUG`` asks for the traceback.
    """
    if isinstance(exc, (GoaltuiError, ValueError)):
        return str(exc)
    if isinstance(exc, OSError):
        return (
            f"{exc.strerror or exc} ({exc.filename or 'file'}): check the disk and the "
            "permissions of the data directory"
        )
    if os.environ.get("GOALTUI_DEBUG"):
        return None
    return (
        f"internal error ({type(exc).__name__}: {exc}). Every change goaltui reported "
        "as done is on disk. Please report this, with the output of the same command "
        "run with GOALTUI_DEBUG=1."
    )
