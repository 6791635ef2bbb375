"""The workspace: the one mutation path over the Automerge document."""

from __future__ import annotations

from goaltui.workspace.core import Workspace as _CoreWorkspace
from goaltui.workspace.core import WorkspaceChange
from goaltui.workspace.operations import DomainOperations

__all__ = ["Workspace", "WorkspaceChange"]


class Workspace(DomainOperations, _CoreWorkspace):
    """An open workspace with every domain operation (see ``core`` and ``operations``)."""
