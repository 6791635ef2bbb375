"""Importing this module registers every command on the ``cli`` group."""

from __future__ import annotations

import importlib

__all__ = ["COMMAND_MODULES"]

COMMAND_MODULES = (
    "records_cmds",
    "read_cmds",
    "workspace_cmds",
    "sync_cmds",
    "query",
    "relay_cmds",
)

for _name in COMMAND_MODULES:
    try:
        importlib.import_module(f"goaltui.cli.{_name}")
    except ModuleNotFoundError as exc:  # query.py lands with the mirror's commands
        if exc.name != f"goaltui.cli.{_name}":
            raise
