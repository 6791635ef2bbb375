"""Which module defines each top-level command, so that only that one is imported.

A command line such as ``goaltui list goals --json`` should pay for importing the
list command, not for sync, relay, reports and the schema-generated ``add``
commands. ``tests/test_cli.py`` checks that this table matches what the modules
register.
"""

from __future__ import annotations

__all__ = ["COMMAND_MODULES", "LAZY_COMMANDS"]

COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "records_cmds": ("add", "edit", "archive", "checkin"),
    "read_cmds": ("list", "show"),
    "workspace_cmds": ("init", "demo", "workspaces", "whoami", "log", "doctor", "import"),
    "sync_cmds": ("share", "sync", "join", "conflicts", "resolve"),
    "query": ("sql", "report", "export", "mirror"),
    "relay_cmds": ("relay",),
}

LAZY_COMMANDS: dict[str, str] = {
    name: f"goaltui.cli.{module}" for module, names in COMMAND_MODULES.items() for name in names
}
