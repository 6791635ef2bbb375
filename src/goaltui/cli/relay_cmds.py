"""``goaltui relay``: run the sync relay and manage its device tokens.

A thin shell over :mod:`goalsync.relay`. The relay's data directory is, in order:
``goaltui relay [token …] --data-dir D``, ``goaltui --data-dir D relay``, else
``relay/`` inside the default data directory (never the workspaces' own repo).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from goaltui.cli.app import CliContext, cli, echo_json
from goaltui.cli.table import render_table

if TYPE_CHECKING:
    from goalsync.relay import RelayLimits

__all__ = ["relay"]

_DATA_DIR_HELP = (
    "The relay's data directory: documents in D/repo (the official sync server's "
    "layout), tokens and owners in D/relay (default: relay/ in goaltui's data dir)."
)


def _data_dir_option() -> Any:
    return click.option(
        "--data-dir",
        "relay_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=_DATA_DIR_HELP,
    )


def _relay_dir(ctx: click.Context, local: Path | None) -> Path:
    """The most specific ``--data-dir`` given, else the default relay directory."""
    if local is not None:
        return local.expanduser()
    node: click.Context | None = ctx
    while node is not None:
        if node.params.get("relay_dir") is not None:
            return Path(node.params["relay_dir"]).expanduser()
        node = node.parent
    root = ctx.find_root()
    obj = root.obj
    assert isinstance(obj, CliContext)
    if root.get_parameter_source("data_dir") == ParameterSource.COMMANDLINE:
        return obj.data_dir
    return obj.data_dir / "relay"


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@cli.group(invoke_without_command=True)
@_data_dir_option()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 for every interface.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=3030,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--cert",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="TLS certificate (PEM); with --key, serve wss://.",
)
@click.option(
    "--key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="TLS private key (PEM) for --cert.",
)
@click.option(
    "--max-frame",
    type=click.IntRange(min=1024),
    default=64 * 1024 * 1024,
    show_default=True,
    help="Largest WebSocket frame in bytes; bigger closes the socket.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=200.0,
    show_default=True,
    help="Messages per second a connection may send, sustained.",
)
@click.option(
    "--burst",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Messages a connection may send at once above --rate.",
)
@click.option(
    "--max-docs",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Documents one token may create.",
)
@click.option(
    "--join-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds a new connection has to send its join.",
)
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=1800.0,
    show_default=True,
    help="Seconds without a message before a connection is closed.",
)
@click.option(
    "--stdio",
    is_flag=True,
    help="Serve one connection on stdin/stdout, for the documents of --data-dir (default: "
    "goaltui's data dir), then exit: what 'goaltui sync ssh://…' runs on the remote host.",
)
@click.option("--verbose", "-v", is_flag=True, help="Log every connection and debug details.")
@click.pass_context
def relay(
    ctx: click.Context,
    relay_dir: Path | None,
    host: str,
    port: int,
    cert: Path | None,
    key: Path | None,
    max_frame: int,
    rate: float,
    burst: int,
    max_docs: int,
    join_timeout: float,
    idle_timeout: float,
    stdio: bool,
    verbose: bool,
) -> None:
    """Run the sync relay: serves workspaces to goaltui and automerge-repo clients.

    Every client needs a device token (see 'goaltui relay token add'). Listens on
    127.0.0.1 unless --host is given; serves wss:// with --cert and --key. Stops
    cleanly on SIGTERM or Ctrl-C. See docs/relay.md for deployment.

    With --stdio it serves one connection on stdin/stdout instead, with no token and no
    port: 'goaltui sync ssh://host/dir' runs it there over SSH (docs/sync.md).

    Example: goaltui relay --data-dir /srv/goaltui-relay --port 3030
    """
    if ctx.invoked_subcommand is not None:
        return
    from goalsync.relay import RelayConfig, RelayLimits, RelayStartError, TokenStore, build_relay
    from goalsync.relay.files import StateFileError
    from goalsync.relay.runner import run_event_loop, serve_until_signalled

    limits = RelayLimits(
        max_frame=max_frame,
        rate=rate,
        burst=burst,
        max_docs_per_token=max_docs,
        join_timeout=join_timeout,
        idle_timeout=idle_timeout,
    )
    if stdio:
        _run_stdio(ctx, relay_dir, verbose, limits)
        return
    data_dir = _relay_dir(ctx, relay_dir)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # websockets logs every HTTP response and close at INFO: only with --verbose
    logging.getLogger("goalsync.relay.websockets").setLevel(
        logging.DEBUG if verbose else logging.WARNING
    )
    config = RelayConfig(data_dir, host, port, cert, key, limits)

    def listening(url: str) -> None:
        click.echo(f"relay data in {data_dir}", err=True)
        click.echo(f"listening on {url}")
        sys.stdout.flush()

    try:
        server = build_relay(config)
        if not any(not t.revoked for t in TokenStore(data_dir / "relay").list()):
            click.echo(
                "warning: no device tokens yet, so every connection is refused; add one with "
                "'goaltui relay token add NAME --team TEAM'",
                err=True,
            )
        run_event_loop(serve_until_signalled(server, listening))
    except (RelayStartError, StateFileError) as exc:
        raise _fail(exc) from None


def _run_stdio(
    ctx: click.Context, relay_dir: Path | None, verbose: bool, limits: RelayLimits
) -> None:
    """``relay --stdio``: one connection on stdin/stdout; only protocol bytes on stdout."""
    from goalsync.transport.stdio import StdioError, serve_stdio, take_stdio

    listening = [o for o in ("host", "port", "cert", "key") if _given(ctx, o)]
    if listening:
        names = ", ".join(f"--{o}" for o in listening)
        raise click.UsageError(
            f"--stdio serves one connection on stdin/stdout, so {names} cannot be used with it"
        )
    root = ctx.find_root().obj
    assert isinstance(root, CliContext)
    data_dir = relay_dir.expanduser() if relay_dir is not None else root.data_dir
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="goaltui relay --stdio: %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        stdio = take_stdio()
        asyncio.run(serve_stdio(data_dir, stdio, limits=limits))
    except StdioError as exc:
        raise _fail(exc) from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot use the data directory {data_dir}: {exc.strerror or exc}; check the "
            "path and its permissions"
        ) from None


def _given(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE


@relay.group()
def token() -> None:
    """Manage the relay's device tokens (one per device; revocable).

    Example: goaltui relay token add dana-laptop --team acme
    """


def _tokens(ctx: click.Context, relay_dir: Path | None) -> Any:
    from goalsync.relay import TokenStore

    return TokenStore(_relay_dir(ctx, relay_dir) / "relay")


@token.command("add")
@click.argument("name")
@click.option("--team", required=True, help="The team the device belongs to.")
@_data_dir_option()
@click.pass_context
def token_add(ctx: click.Context, name: str, team: str, relay_dir: Path | None) -> None:
    """Create a token for device NAME of TEAM; prints the token on the last line, once.

    Only a hash is kept: a lost token cannot be shown again, revoke it and add another.
    Clients pass it as 'Authorization: Bearer TOKEN' or as '?token=TOKEN' in the URL.

    Example: goaltui relay token add dana-laptop --team acme --data-dir /srv/goaltui-relay
    """
    from goalsync.relay import TokenError
    from goalsync.relay.files import StateFileError

    try:
        secret = _tokens(ctx, relay_dir).add(name, team)
    except (TokenError, StateFileError) as exc:
        raise _fail(exc) from None
    click.echo(f"token for {name} (team {team}); it is shown only this once:")
    click.echo(secret)


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_data_dir_option()
@click.pass_context
def token_list(ctx: click.Context, as_json: bool, relay_dir: Path | None) -> None:
    """List the relay's device tokens (names and teams, never the tokens).

    Example: goaltui relay token list --data-dir /srv/goaltui-relay
    """
    from goalsync.relay.files import StateFileError

    try:
        entries = _tokens(ctx, relay_dir).list()
    except StateFileError as exc:
        raise _fail(exc) from None
    rows = [
        {
            "name": e.name,
            "team": e.team,
            "created_at": e.created_at,
            "status": "revoked" if e.revoked else "active",
        }
        for e in entries
    ]
    if as_json:
        echo_json(rows)
    elif not rows:
        click.echo("no tokens; add one with 'goaltui relay token add NAME --team TEAM'")
    else:
        click.echo(render_table(rows, ["name", "team", "created_at", "status"]))


@token.command("revoke")
@click.argument("name")
@_data_dir_option()
@click.pass_context
def token_revoke(ctx: click.Context, name: str, relay_dir: Path | None) -> None:
    """Revoke the token of device NAME; a running relay drops its connections within seconds.

    Example: goaltui relay token revoke dana-laptop --data-dir /srv/goaltui-relay
    """
    from goalsync.relay import TokenError
    from goalsync.relay.files import StateFileError

    try:
        entry = _tokens(ctx, relay_dir).revoke(name)
    except (TokenError, StateFileError) as exc:
        raise _fail(exc) from None
    click.echo(f"revoked token {entry.name} (team {entry.team})")
