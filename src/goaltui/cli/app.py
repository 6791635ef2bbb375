"""The click group, its shared options, and how errors reach the user.

The CLI is a thin shell over ``Workspace`` (writes) and the mirror (reads). Read
commands never load the Automerge document unless the mirror is behind.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

import click

from goaltui.cli.failures import failure_message
from goaltui.paths import WorkspacePaths, choose_workspace, default_data_dir

if TYPE_CHECKING:
    from goaltui.mirror.read import MirrorReader
    from goaltui.workspace import Workspace

__all__ = ["CliContext", "cli", "echo_json", "main", "pass_cli"]

F = TypeVar("F", bound=Callable[..., Any])


class CliContext:
    """What every command needs: where the data is and which workspace."""

    def __init__(self, data_dir: Path, workspace: str | None) -> None:
        self.data_dir = data_dir
        self._workspace = workspace
        self._opened: Workspace | None = None

    @property
    def workspace_name(self) -> str:
        """``--workspace``, else the only workspace, else ``main``."""
        return choose_workspace(self.data_dir, self._workspace)

    def paths(self, name: str | None = None) -> WorkspacePaths:
        return WorkspacePaths(self.data_dir, name or self.workspace_name)

    def mirror_path(self) -> Path:
        return self.paths().mirror

    def open_workspace(self) -> Workspace:
        """The workspace, opened once per command and closed when the command ends."""
        if self._opened is None:
            from goaltui.workspace import Workspace

            ws = Workspace.open(self.paths())
            click.get_current_context().call_on_close(ws.close)
            for problem in ws.problems:
                click.echo(f"warning: {problem}", err=True)
            self._opened = ws
        return self._opened

    def reader(self) -> MirrorReader:
        """A read-only view of the mirror, brought up to date first if it is behind."""
        from goaltui.freshness import fresh_reader

        reader = fresh_reader(self.paths(), self.open_workspace)
        click.get_current_context().call_on_close(reader.close)
        return reader


pass_cli = click.make_pass_decorator(CliContext)


def echo_json(value: Any) -> None:
    """Print ``value`` as JSON: a list compact on one line, an object indented.

    Lists can hold thousands of records, and indented output goes through the json
    module's pure-Python encoder (5–10× slower than the C one); pipe to ``jq`` to
    read them.
    """
    if isinstance(value, list):
        click.echo(json.dumps(value, ensure_ascii=False, default=str))
    else:
        click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _set_workspace(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(CliContext)._workspace = value


def workspace_option() -> click.Option:
    """``--workspace/-w``, accepted after any command too (``goaltui import F -w new``)."""
    return click.Option(
        ["--workspace", "-w"],
        expose_value=False,
        callback=_set_workspace,
        help="Workspace name (default: the only one, else 'main').",
    )


class _Group(click.Group):
    """Adds ``-w`` to every command; turns domain errors into one line and exit 1."""

    group_class = type
    lazy: Mapping[str, str] = MappingProxyType({})  # command → module (root group only)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any(p.name == "workspace" for p in cmd.params):
            cmd.params.append(workspace_option())
        super().add_command(cmd, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = self.lazy.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            importlib.import_module(module)
        return super().get_command(ctx, cmd_name)

    def load_all(self) -> None:
        """Import every lazily registered command (for docs and tests)."""
        for module in sorted(set(self.lazy.values())):
            importlib.import_module(module)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            message = failure_message(exc)
            if message is None:
                raise
            raise click.ClickException(message) from None


@click.group(
    cls=_Group,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="GOALTUI_DATA_DIR",
    default=None,
    help="Where workspaces live (default: the XDG data dir; env GOALTUI_DATA_DIR).",
)
@click.option(
    "--workspace", "-w", default=None, help="Workspace name (default: the only one, else 'main')."
)
@click.version_option(package_name="goaltui")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, workspace: str | None) -> None:
    """goaltui: set goals together and keep strategy aligned, in the terminal.

    With no command, opens the terminal UI (on the demo workspace if none exists).

    Example: goaltui add goal "Launch v2 in Europe" --level strategic --due 2027-06-30
    """
    ctx.obj = CliContext(data_dir or default_data_dir(), workspace)
    if ctx.invoked_subcommand is None:
        from goaltui.cli.tui_cmd import open_tui

        open_tui(ctx.obj)


def main() -> None:
    """Run the command line with click (``goaltui.cli.main`` tries the fast path first)."""
    try:
        cli(prog_name="goaltui")
    except KeyboardInterrupt:
        sys.exit(130)


from goaltui.cli.commands import LAZY_COMMANDS  # noqa: E402

cli.lazy = LAZY_COMMANDS
