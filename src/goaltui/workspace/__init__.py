"""The workspace: the one mutation path over the Automerge document."""

from __future__ import annotations

from typing import Any

from goaltui.workspace.core import Workspace as _CoreWorkspace
from goaltui.workspace.core import WorkspaceChange
from goaltui.workspace.operations import DomainOperations

__all__ = ["Workspace", "WorkspaceChange"]


class Workspace(DomainOperations, _CoreWorkspace):
    """An open workspace with every domain operation (see ``core`` and ``operations``)."""

    def export_json(self) -> dict[str, Any]:
        """Everything, losslessly, as ``goaltui export --format json`` prints it."""
        from goaltui.workspace.exchange import export_data

        return export_data(self)
