"""Sync commands: share, sync, join, conflicts, resolve."""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import Any

import click

from goaltui.cli.app import CliContext, cli, echo_json, pass_cli
from goaltui.cli.table import render_table

TOKEN_ENV = "GOALTUI_RELAY_TOKEN"


def _document_id(ctx: CliContext) -> str:
    from goaltui.workspace.config import WorkspaceConfig

    paths = ctx.paths()
    if not paths.exists():
        raise click.ClickException(f"no workspace {paths.name!r}; create one with 'goaltui init'")
    return WorkspaceConfig.load(paths.config).document_id


@cli.command()
@pass_cli
def share(ctx: CliContext) -> None:
    """Print the workspace's automerge: URL, which others pass to 'goaltui join'.

    Example: goaltui share
    """
    from goalsync.protocol.docid import to_url

    click.echo(to_url(_document_id(ctx)))


def _relay_settings(ctx: CliContext, url: str | None, token: str | None) -> tuple[str, str | None]:
    from goaltui.workspace.config import WorkspaceConfig

    config = WorkspaceConfig.load(ctx.paths().config)
    url = url or config.relay_url
    if not url:
        raise click.UsageError(
            "no relay URL: give one (goaltui sync ws://host:port, or ssh://user@host/dir) "
            "or save one with --save"
        )
    if _is_ssh(url, token):
        return url, None
    return url, token or os.environ.get(TOKEN_ENV) or config.relay_token


def _is_ssh(url: str, token: str | None) -> bool:
    """True for an ssh:// URL, checked now (a bad one fails before anything is opened);
    a --token given with it is ignored, and the user is told."""
    from goalsync.transport.ssh import SshUrlError, is_ssh_url, parse_ssh_url

    if not is_ssh_url(url):
        return False
    try:
        parse_ssh_url(url)
    except SshUrlError as exc:
        raise click.ClickException(str(exc)) from None
    if token:
        click.echo(
            "note: --token is ignored for ssh:// URLs (SSH does the authentication)", err=True
        )
    return True


def _print_summary(summary: Any, url: str, conflicts: int) -> None:
    state = "synced" if summary.synced else "not available on the relay yet"
    click.echo(
        f"{state} with {url}: {summary.changes_in} change(s) in, {summary.changes_out} out "
        f"({summary.bytes_in} bytes in, {summary.bytes_out} out)"
    )
    if conflicts:
        click.echo(f"{conflicts} field(s) were edited concurrently: see 'goaltui conflicts'")


@cli.command()
@click.argument("url", required=False)
@click.option(
    "--token",
    help=f"Relay token (default: env {TOKEN_ENV}, then the saved one); not for ssh://.",
)
@click.option("--watch", is_flag=True, help="Stay connected, syncing live; reconnect when dropped.")
@click.option("--save", is_flag=True, help="Remember URL and token for this workspace.")
@click.option(
    "--timeout", type=float, default=60.0, show_default=True, help="Seconds for one sync."
)
@pass_cli
def sync(
    ctx: CliContext, url: str | None, token: str | None, watch: bool, save: bool, timeout: float
) -> None:
    """Sync the workspace with a relay or a peer (once, or --watch).

    URL is ws:// or wss:// (a relay or a peer; --token), or
    ssh://[user@]host[:port][/remote/data/dir]: SSH logs in and runs 'goaltui relay
    --stdio' there (no token, no server to run; $GOALTUI_SSH is the ssh command,
    $GOALTUI_SSH_REMOTE the remote goaltui). Without URL, the saved one is used.

    Example: goaltui sync wss://relay.example.org --token "$TOKEN" --save

    Example: goaltui sync ssh://dana@goals.example.org/srv/goaltui --save
    """
    import asyncio

    from goaltui.workspace.sync import sync_once
    from goaltui.workspace.sync import watch as watch_sync

    url, token = _relay_settings(ctx, url, token)
    ws = ctx.open_workspace()
    if save:
        ws.config.relay_url, ws.config.relay_token = url, token
        ws.config.save(ws.paths.config)
    if watch:
        click.echo(f"syncing {ws.name} with {url}; Ctrl-C stops", err=True)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(watch_sync(ws, url, token, report=lambda line: click.echo(line, err=True)))
        return
    summary, conflicts = asyncio.run(sync_once(ws, url, token, timeout=timeout))
    _print_summary(summary, url, conflicts)


@cli.command()
@click.argument("relay_url")
@click.argument("automerge_url")
@click.option("--token", help=f"Relay token (default: env {TOKEN_ENV}); not for ssh://.")
@click.option("--timeout", type=float, default=60.0, show_default=True)
@pass_cli
def join(
    ctx: CliContext, relay_url: str, automerge_url: str, token: str | None, timeout: float
) -> None:
    """Make a new local workspace (-w NAME) from one shared on a relay, a peer, or over SSH.

    RELAY_URL is ws://, wss:// or ssh://[user@]host[:port][/remote/data/dir] (as for
    'goaltui sync'); the workspace remembers it for later syncs.

    Example: goaltui join wss://relay.example.org automerge:2Xq9… -w acme --token "$TOKEN"

    Example: goaltui join ssh://dana@goals.example.org/srv/goaltui automerge:2Xq9… -w acme
    """
    import asyncio

    from goalsync.protocol.docid import InvalidDocumentId, parse_url
    from goaltui.workspace import Workspace
    from goaltui.workspace.sync import fetch

    try:
        doc_id, _ = parse_url(automerge_url)
    except InvalidDocumentId as exc:
        raise click.ClickException(f"{automerge_url!r} is not an automerge: URL ({exc})") from None
    token = None if _is_ssh(relay_url, token) else token or os.environ.get(TOKEN_ENV)
    paths = ctx.paths(ctx._workspace or "main")
    Workspace.attach(paths, doc_id)
    try:
        asyncio.run(fetch(paths, relay_url, token, timeout=timeout))
    except BaseException:
        shutil.rmtree(paths.dir, ignore_errors=True)
        raise
    with Workspace.open(paths) as ws:
        ws.config.relay_url, ws.config.relay_token = relay_url, token
        ws.config.save(paths.config)
        ws.ensure_mirror()
        goals = len(ws.records("goals"))
    click.echo(f"joined: workspace {paths.name} with {goals} goal(s), synced with {relay_url}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_cli
def conflicts(ctx: CliContext, as_json: bool) -> None:
    """List fields that were edited concurrently on different devices.

    Example: goaltui conflicts
    """
    items = ctx.open_workspace().conflicts()
    if as_json:
        echo_json([c.to_json() for c in items])
        return
    if not items:
        click.echo("no conflicts", err=True)
        return
    rows = []
    for c in items:
        competing = " | ".join(
            f"{v.value!r} ({v.who or 'device ' + v.actor[:8]})" for v in c.values
        )
        rows.append(
            {
                "id": c.id[-8:],
                "record": c.record[-8:],
                "field": c.field,
                "kept": repr(c.current),
                "values": competing,
            }
        )
    click.echo(render_table(rows, ("id", "record", "field", "kept", "values")))


@cli.command()
@click.argument("conflict_id")
@click.option(
    "--keep",
    "keep",
    required=True,
    help="The value to keep (one of the competing ones, or a new one).",
)
@pass_cli
def resolve(ctx: CliContext, conflict_id: str, keep: str) -> None:
    """Settle a conflict by writing the value to keep.

    Example: goaltui resolve 7RMK2Q0A --keep "Launch in Spain and Portugal"
    """
    from goaltui.model import collection
    from goaltui.model.schema import STRATEGY
    from goaltui.model.validate import parse_field_value

    ws = ctx.open_workspace()
    matches = [
        c for c in ws.conflicts() if c.id == conflict_id or c.id.endswith(conflict_id.upper())
    ]
    if len(matches) != 1:
        raise click.ClickException(
            f"no single conflict {conflict_id!r}; list them with 'goaltui conflicts'"
        )
    conflict = matches[0]
    coll = STRATEGY if conflict.collection == "strategy" else collection(conflict.collection)
    spec = coll.get(conflict.field)
    value = parse_field_value(spec, keep) if spec is not None else keep
    ws.resolve_conflict(conflict.id, value)
    click.echo(f"kept {value!r} for {conflict.field} of {conflict.record}")
