"""Command lines answered before click is imported.

Importing click costs about a third of a short command's run time, and a good part of
the TUI's start-up. Two command lines skip it:

- ``goaltui list KIND --json`` (global ``--data-dir`` and ``--workspace``; with
  ``--all``, ``--limit N``, ``--sort FIELD``; no filters), answered from the mirror
  when it is current: the command scripts run most;
- ``goaltui`` with global options only, on a workspace that exists: the TUI.

Anything else, any doubt or any error returns False and click runs the command as
usual, with its help and error messages: the answer is only ever the same one, sooner.
``tests/test_cli_fast.py`` runs the same command lines both ways and compares.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, TextIO

__all__ = ["run_fast"]

_GLOBAL_VALUE = {"--data-dir": "data_dir", "--workspace": "workspace", "-w": "workspace"}
_LIST_VALUE = {
    "--limit": "limit",
    "--sort": "order_by",
    "--workspace": "workspace",
    "-w": "workspace",
}
_LIST_FLAG = {"--json": "as_json", "--all": "include_archived"}


def run_fast(argv: list[str], out: TextIO | None = None) -> bool:
    """Answer ``argv`` (without the program name) if it is a plain JSON listing, or open
    the TUI if it names no command and the workspace exists.

    Returns True if it was answered (output written), False to let click run it.
    """
    globals_only = _parse_globals(argv)
    if globals_only is not None:
        return _open_tui(globals_only)
    parsed = _parse(argv)
    if parsed is None:
        return False
    try:
        text = _list_json(parsed)
    except Exception:  # any doubt: click runs it and reports properly
        return False
    if text is None:
        return False
    stream = out or sys.stdout
    stream.write(text + "\n")
    stream.flush()
    return True


def _parse_globals(argv: list[str]) -> dict[str, Any] | None:
    """The options of a command line of global options only (no command), or None."""
    options: dict[str, Any] = {}
    args = list(argv)
    while args:
        if not _take(args, _GLOBAL_VALUE, {}, options):
            return None
    return options


def _open_tui(options: dict[str, Any]) -> bool:
    """Run the TUI on an existing workspace; False (click decides) for anything else."""
    paths = _workspace_paths(options)
    if paths is None or not paths.exists():
        return False  # the demo for a first run, or the error, come from click
    from goaltui.cli.failures import failure_message
    from goaltui.tui import run_app

    try:
        run_app(paths)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        message = failure_message(exc)
        if message is None:
            raise
        print(f"Error: {message}", file=sys.stderr)
        sys.exit(1)
    return True


def _workspace_paths(options: dict[str, Any]) -> Any:
    """The workspace the options name, as click would choose it; None if unsure."""
    from goaltui.paths import WorkspacePaths, choose_workspace, default_data_dir

    data_dir_text = options.get("data_dir", os.environ.get("GOALTUI_DATA_DIR"))
    if data_dir_text == "":
        return None  # click's reading of an empty value is its own
    data_dir = Path(data_dir_text) if data_dir_text is not None else default_data_dir()
    if data_dir.exists() and not data_dir.is_dir():
        return None
    return WorkspacePaths(data_dir, choose_workspace(data_dir, options.get("workspace")))


def _parse(argv: list[str]) -> dict[str, Any] | None:
    """The options of ``[GLOBAL...] list KIND [OPTION...]``, or None if anything else."""
    options: dict[str, Any] = {}
    args = list(argv)
    while args and args[0] != "list":
        if not _take(args, _GLOBAL_VALUE, {}, options):
            return None
    if len(args) < 2:
        return None
    options["kind"] = args[1]
    rest = args[2:]
    while rest:  # after the command click takes -w/--workspace too, but not --data-dir
        if not _take(rest, _LIST_VALUE, _LIST_FLAG, options):
            return None  # a filter, an unknown option, --help, ...
    return options if options.get("as_json") else None


def _take(
    args: list[str], valued: dict[str, str], flags: dict[str, str], out: dict[str, Any]
) -> bool:
    """Consume one option from the front of ``args`` into ``out``; False if not one of ours."""
    arg = args.pop(0)
    if arg in flags:
        out[flags[arg]] = True
        return True
    name, eq, value = arg.partition("=")
    if name in valued and eq and name.startswith("--"):
        out[valued[name]] = value
        return True
    if arg in valued and args and not args[0].startswith("-"):
        out[valued[arg]] = args.pop(0)
        return True
    return False


def _list_json(options: dict[str, Any]) -> str | None:
    from goaltui.model.schema import COLLECTIONS

    kind = options["kind"]
    coll = COLLECTIONS.get(kind)
    if coll is None:
        return None
    order_by = options.get("order_by")
    if (
        order_by is not None
        and order_by not in coll.field_map
        and order_by not in ("id", "progress")
    ):
        return None
    limit = options.get("limit")
    if limit is not None:
        if not limit.isdigit() or int(limit) < 1:
            return None
        limit = int(limit)
    paths = _workspace_paths(options)
    if paths is None:
        return None
    reader = _current_reader(paths)
    if reader is None:
        return None
    with reader:
        return reader.list_json(
            kind,
            include_archived=bool(options.get("include_archived")),
            order_by=order_by,
            limit=limit,
        )


def _current_reader(paths: Any) -> Any:
    """A reader on the mirror if it reflects the storage; else None (click brings it up to date)."""
    from goaltui.freshness import storage_fingerprint
    from goaltui.mirror.read import MirrorReader

    if not paths.exists() or not paths.mirror.exists():
        return None
    reader = MirrorReader(paths.mirror)
    if reader.state() != storage_fingerprint(paths):
        reader.close()
        return None
    return reader
