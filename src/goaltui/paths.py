"""Where a workspace's files live, and keeping them private."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from goalsync.durable import private_dir

__all__ = [
    "WorkspacePaths",
    "choose_workspace",
    "default_data_dir",
    "ensure_private_dir",
    "valid_workspace_name",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def default_data_dir() -> Path:
    """``GOALTUI_DATA_DIR``, else the XDG data directory (``~/.local/share/goaltui``)."""
    env = os.environ.get("GOALTUI_DATA_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("goaltui", appauthor=False)


def valid_workspace_name(name: str) -> bool:
    """Letters, digits, ``.``, ``_``, ``-``; starts with a letter or digit; at most 64."""
    return bool(_NAME.match(name))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as 0700 whatever the umask; tighten it if it exists."""
    return private_dir(path)


@dataclass(frozen=True)
class WorkspacePaths:
    """The files of one data directory and one workspace name in it.

    ``data_dir/repo`` is an automerge-repo storage root (the official sync server
    can serve it); ``data_dir/workspaces/<name>/`` holds the workspace's local
    config and its SQLite mirror.
    """

    data_dir: Path
    name: str

    @property
    def repo(self) -> Path:
        return self.data_dir / "repo"

    @property
    def workspaces(self) -> Path:
        return self.data_dir / "workspaces"

    @property
    def dir(self) -> Path:
        return self.workspaces / self.name

    @property
    def config(self) -> Path:
        return self.dir / "workspace.json"

    @property
    def mirror(self) -> Path:
        return self.dir / "mirror.db"

    @property
    def conflicts(self) -> Path:
        return self.dir / "conflicts.json"

    def exists(self) -> bool:
        return self.config.is_file()

    def with_name(self, name: str) -> WorkspacePaths:
        return WorkspacePaths(self.data_dir, name)

    def all_names(self) -> list[str]:
        """Names of the workspaces in this data directory, sorted."""
        if not self.workspaces.is_dir():
            return []
        return sorted(p.parent.name for p in self.workspaces.glob("*/workspace.json"))


def choose_workspace(data_dir: Path, name: str | None) -> str:
    """The workspace a command acts on: ``name`` if given, else the only one, else ``main``."""
    if name:
        return name
    names = WorkspacePaths(data_dir, "main").all_names()
    return names[0] if len(names) == 1 else "main"
