"""Workspace-level commands: init, demo, workspaces, whoami, log, doctor, import."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import BinaryIO

import click

from goaltui.cli.app import CliContext, cli, echo_json, pass_cli
from goaltui.cli.resolve import resolve_id
from goaltui.cli.table import render_table
from goaltui.paths import WorkspacePaths


@cli.command()
@click.argument("name", required=False)
@click.option("--me", "me_name", help="Your name: adds you as a person and sets you as 'me'.")
@pass_cli
def init(ctx: CliContext, name: str | None, me_name: str | None) -> None:
    """Create an empty workspace (default name: main).

    Example: goaltui init acme --me "Dana Lee"
    """
    from goaltui.workspace import Workspace

    paths = ctx.paths(name or ctx._workspace or "main")
    with Workspace.create(paths) as ws:
        if me_name:
            ws.set_me(ws.add_person(me_name))
        click.echo(f"created workspace {paths.name} ({ws.url}) in {paths.data_dir}")


@cli.command()
@click.option("--name", default="demo", show_default=True, help="Workspace name.")
@pass_cli
def demo(ctx: CliContext, name: str) -> None:
    """Create the demo workspace: a product launch and a sustainable-manufacturing story.

    Example: goaltui demo && goaltui -w demo list goals
    """
    paths = create_demo(ctx.paths(name))
    click.echo(f"created workspace {paths.name} in {paths.data_dir}")


def create_demo(paths: WorkspacePaths) -> WorkspacePaths:
    """Create and fill the demo workspace (compacted, mirror built)."""
    from goaltui.demo import build_demo
    from goaltui.workspace import Workspace

    with Workspace.create(paths) as ws:
        build_demo(ws)
        ws.compact()
        ws.ensure_mirror()
    return paths


@cli.command()
@pass_cli
def workspaces(ctx: CliContext) -> None:
    """List the workspaces in the data directory.

    Example: goaltui --data-dir /srv/goals workspaces
    """
    names = ctx.paths().all_names()
    if not names:
        click.echo(
            f"no workspaces in {ctx.data_dir}; create one with 'goaltui init' or 'goaltui demo'",
            err=True,
        )
    for name in names:
        click.echo(name)


@cli.command()
@click.argument("person", required=False)
@pass_cli
def whoami(ctx: CliContext, person: str | None) -> None:
    """Show, or set, which person you are in this workspace (by id, handle or name).

    Example: goaltui whoami alice
    """
    from goaltui.cli.resolve import resolve_ref_value
    from goaltui.model import collection

    if person:
        spec = collection("stakeholders").field_map["person"]
        pid = resolve_ref_value(ctx.reader(), spec, person)
        ctx.open_workspace().set_me(pid)
    me = ctx.open_workspace().me
    if me is None:
        raise click.ClickException(
            "you are nobody yet here: 'goaltui whoami NAME' (a person's handle or id)"
        )
    rec = ctx.open_workspace().get(me, "people")
    click.echo(f"{rec.title} ({me})")


@cli.command()
@click.option("--limit", "-n", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--record", "record_id", help="Only changes of this record.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_cli
def log(ctx: CliContext, limit: int, record_id: str | None, as_json: bool) -> None:
    """The change history: who changed what, when (newest last).

    Example: goaltui log -n 20
    """
    ws = ctx.open_workspace()
    entries = ws.history()
    if record_id:
        _, rid = resolve_id(ctx.reader(), record_id)
        entries = [e for e in entries if rid in e.records]
    entries = entries[-limit:]
    names = {p.id: p.title for p in ws.records("people", include_archived=True)}
    rows = [
        {
            "at": e.at,
            "who": names.get(e.author or "", e.author or f"device {e.actor[:8]}"),
            "action": e.action,
            "summary": e.summary,
            "records": list(e.records),
        }
        for e in entries
    ]
    if as_json:
        echo_json(rows)
    else:
        click.echo(render_table(rows, ("at", "who", "summary")))


def _loose_modes(root: Path) -> list[str]:
    bad = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            bad.append(f"{path} is {oct(mode)}; run: chmod go-rwx '{path}'")
    return bad


@cli.command()
@pass_cli
def doctor(ctx: CliContext) -> None:
    """Check the workspace's storage: sizes, damaged files, permissions, mirror.

    Example: goaltui doctor
    """
    from goaltui.freshness import storage_fingerprint
    from goaltui.mirror.read import MirrorReader

    ws = ctx.open_workspace()
    sizes = ws._store.sizes(ws.doc_id)
    problems = list(ws.problems)
    problems += _loose_modes(ctx.data_dir)
    counts = {
        name: len(ws.records(name, include_archived=True)) for name in ("goals", "kpis", "tasks")
    }
    ws.ensure_mirror()
    reader = MirrorReader(ws.paths.mirror)
    try:
        mirror_ok = reader.state() == storage_fingerprint(ws.paths)
    finally:
        reader.close()
    click.echo(f"workspace   {ws.name}  {ws.url}")
    click.echo(f"schema      {ws.meta().get('schema')}")
    click.echo("records     " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    snapshots = f"{sizes.get('snapshot_count', 0)} snapshot(s), {sizes.get('snapshot_bytes', 0)}"
    changes = f"{sizes.get('incremental_count', 0)} change chunk(s)"
    changes += f", {sizes.get('incremental_bytes', 0)} bytes"
    click.echo(f"storage     {snapshots} bytes; {changes}")
    click.echo(
        f"mirror      {'current' if mirror_ok else 'behind (rebuild with: goaltui mirror rebuild)'}"
    )
    if not mirror_ok:
        problems.append("the SQLite mirror does not match the document")
    for problem in problems:
        click.echo(f"problem     {problem}")
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) found")
    click.echo("ok          no problems found")


@cli.command(name="import")
@click.argument("file", type=click.File("rb"))
@pass_cli
def import_(ctx: CliContext, file: BinaryIO) -> None:
    """Import a JSON export into a NEW workspace (-w NAME, default: the file's name).

    Example: goaltui import backup.json -w restored
    """
    from goaltui.workspace import Workspace
    from goaltui.workspace.exchange import import_data, prepare_import

    try:
        data = json.loads(file.read())
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(
            f"{file.name} is not valid JSON ({exc}); expected a 'goaltui export'"
        ) from None
    name = ctx._workspace or Path(file.name).stem
    paths = ctx.paths(name)
    if paths.exists():
        raise click.ClickException(
            f"workspace {name!r} exists; import into a new one with -w NEW_NAME"
        )
    prepared = prepare_import(data)
    with Workspace.create(paths) as ws:
        count = import_data(ws, prepared)
    click.echo(f"imported {count} records into workspace {name}")
