"""One error hierarchy for every surface: the CLI prints it, the TUI shows it."""

from __future__ import annotations

__all__ = [
    "GoaltuiError",
    "NewerSchemaError",
    "NotFound",
    "StorageProblem",
    "WorkspaceExists",
    "WorkspaceNotFound",
]


class GoaltuiError(Exception):
    """A problem the user can act on. ``str()`` says what and what to do."""

    title = "Error"


class NotFound(GoaltuiError):
    """No record (or several) matches the id the user gave."""

    title = "Not found"


class WorkspaceNotFound(GoaltuiError):
    """The named workspace does not exist in the data directory."""

    title = "No such workspace"


class WorkspaceExists(GoaltuiError):
    """A workspace of that name already exists."""

    title = "Workspace exists"


class NewerSchemaError(GoaltuiError):
    """The document was written by a newer goaltui; opening it could corrupt it."""

    title = "Newer workspace"


class StorageProblem(GoaltuiError):
    """The files of a workspace cannot be read or written."""

    title = "Storage problem"
