"""``list`` and ``show``: reads from the SQLite mirror, never from the document."""

from __future__ import annotations

from typing import Any

import click

from goaltui.cli.app import CliContext, cli, echo_json, pass_cli
from goaltui.cli.fields import parse_assignments
from goaltui.cli.resolve import resolve_id, short_id
from goaltui.cli.table import render_table
from goaltui.model.schema import COLLECTIONS, collection

_COLUMNS: dict[str, tuple[str, ...]] = {
    "goals": ("title", "level", "status", "owner", "due", "progress"),
    "kpis": ("name", "goal", "baseline", "target", "current", "unit", "progress"),
    "checkins": ("at", "kpi", "goal", "value", "confidence", "status", "author"),
    "tasks": ("title", "goal", "assignee", "status", "due", "milestone"),
    "people": ("name", "handle", "email", "team"),
}


def _columns(coll_name: str) -> tuple[str, ...]:
    if coll_name in _COLUMNS:
        return _COLUMNS[coll_name]
    coll = collection(coll_name)
    names = [f.name for f in coll.fields if f.name not in ("created_by", "created_at", "archived")]
    return tuple(names[:6])


@cli.command(name="list")
@click.argument("kind", type=click.Choice(sorted(COLLECTIONS)), metavar="KIND")
@click.argument("filters", nargs=-1)
@click.option("--all", "include_archived", is_flag=True, help="Include archived records.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON array (DESIGN.md field names, with id; numbers to 15 digits).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many.")
@click.option(
    "--sort", "order_by", default=None, help="Field to sort by (default: id, i.e. creation)."
)
@pass_cli
def list_(
    ctx: CliContext,
    kind: str,
    filters: tuple[str, ...],
    include_archived: bool,
    as_json: bool,
    limit: int | None,
    order_by: str | None,
) -> None:
    """List records of KIND (goals, kpis, tasks, checkins, people, ...), filtered by field=value.

    Example: goaltui list goals level=team owner=alice --json
    """
    coll = collection(kind)
    if order_by and order_by not in coll.field_map and order_by not in ("id", "progress"):
        raise click.UsageError(f"cannot sort {kind} by {order_by!r}")
    where = parse_assignments(ctx, coll, filters)
    query: dict[str, Any] = {
        "where": where or None,
        "include_archived": include_archived,
        "order_by": order_by,
        "limit": limit,
    }
    if as_json:
        click.echo(ctx.reader().list_json(kind, **query))
        return
    rows = ctx.reader().list_records(kind, **query)
    if not rows:
        click.echo(f"no {kind}" + (" match" if where else " yet"), err=True)
        return
    shown = [{**row, "id": short_id(row["id"])} for row in rows]
    click.echo(render_table(shown, ("id", *_columns(kind))))


@cli.command()
@click.argument("record_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_cli
def show(ctx: CliContext, record_id: str, as_json: bool) -> None:
    """Show one record; a goal shows its progress, SMART check and warnings.

    Example: goaltui show 01JD3
    """
    reader = ctx.reader()
    coll_name, rid = resolve_id(reader, record_id)
    found = reader.get(rid)
    if found is None:
        raise click.ClickException(f"no record {record_id!r}")
    record: dict[str, Any] = dict(found[1])
    if coll_name == "goals":
        from goaltui.insight import goal_facts

        record.update(goal_facts(reader, rid))
    if as_json:
        echo_json(
            {
                "kind": collection(coll_name).kind if coll_name != "strategy" else "strategy",
                **record,
            }
        )
        return
    _print_record(coll_name, record)


def _print_record(coll_name: str, record: dict[str, Any]) -> None:
    kind = collection(coll_name).kind if coll_name != "strategy" else "strategy"
    click.echo(f"{kind} {record['id']}")
    for key, value in record.items():
        if key in ("id", "smart_check", "warnings") or value is None:
            continue
        click.echo(f"  {key:<12} {_fmt(value)}")
    smart = record.get("smart_check")
    if smart:
        click.echo("  SMART")
        for name, criterion in smart["criteria"].items():
            mark = "✓" if criterion["met"] else "✗"
            click.echo(f"    {mark} {name:<11} {criterion['reason']}")
    for warning in record.get("warnings") or []:
        click.echo(f"  ! {warning['code']}: {warning['message']}")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return str(value).replace("\n", "\n" + " " * 15)
