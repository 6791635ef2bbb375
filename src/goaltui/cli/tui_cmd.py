"""``goaltui`` with no command: open the terminal UI."""

from __future__ import annotations

import click

from goaltui.cli.app import CliContext

__all__ = ["open_tui"]


def open_tui(ctx: CliContext) -> None:
    """Open the TUI on the current workspace; on a fresh machine, on the demo workspace."""
    paths = ctx.paths()
    if not paths.exists():
        if paths.all_names():
            raise click.ClickException(
                f"no workspace {paths.name!r}; choose one with -w (see 'goaltui workspaces')"
            )
        from goaltui.cli.workspace_cmds import create_demo

        paths = create_demo(ctx.paths("demo"))
        click.echo(f"No workspace yet: created the demo workspace in {paths.data_dir}", err=True)
    from goaltui.tui import run_app

    run_app(paths)
