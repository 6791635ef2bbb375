"""``add``, ``edit``, ``archive``, ``checkin``: the CLI's write commands.

``add`` has one subcommand per record kind, generated from the schema: required
fields are arguments, the others ``--options``; so a new field in the schema is
a new option here with no code.
"""

from __future__ import annotations

from typing import Any

import click

from goaltui.cli.app import CliContext, cli, pass_cli
from goaltui.cli.fields import HIDDEN_FIELDS, parse_assignments, parse_text
from goaltui.cli.resolve import resolve_id
from goaltui.model.schema import (
    COLLECTIONS,
    SMART_CRITERIA,
    Collection,
    Field,
    FieldType,
    collection,
)

__all__: list[str] = []

_POSITIONAL = {
    "kpis": ("goal", "name"),
    "agreements": ("goal", "person", "decision"),
    "stakeholders": ("person",),
    "resources": ("goal",),
    "priorities": ("person",),
}


def _positional(coll: Collection) -> tuple[str, ...]:
    return _POSITIONAL.get(coll.name, tuple(f.name for f in coll.fields if f.required))


def _option_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def _make_add(coll: Collection) -> click.Command:
    positional = _positional(coll)

    @pass_cli
    def command(ctx: CliContext, **values: Any) -> None:
        fields: dict[str, Any] = {}
        smart: dict[str, str] = {}
        for key, text in values.items():
            if text is None:
                continue
            if key in SMART_CRITERIA and coll.name == "goals":
                smart[key] = text
                continue
            fields[key] = parse_text(ctx, coll.field_map[key], text)
        if smart:
            fields["smart"] = smart
        ws = ctx.open_workspace()
        author = "author" if "author" in coll.field_map else None
        click.echo(ws.add(coll.kind, fields, author_field=author))

    params: list[click.Parameter] = [click.Argument([name]) for name in positional]
    for spec in coll.fields:
        if spec.name in positional or spec.name in HIDDEN_FIELDS:
            continue
        if spec.type is FieldType.SMART:
            for criterion in SMART_CRITERIA:
                params.append(
                    click.Option(
                        [_option_name(criterion), criterion],
                        help=f"SMART: how the goal is {criterion.replace('_', '-')}.",
                    )
                )
            continue
        params.append(click.Option([_option_name(spec.name), spec.name], help=_help(spec)))
    example = " ".join(f"{p.upper()}" for p in positional)
    return click.Command(
        coll.kind,
        callback=command,
        params=params,
        help=f"Add {_article(coll.kind)} {coll.kind}; prints its id.\n\n"
        f"Example: goaltui add {coll.kind} {example}".rstrip(),
    )


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _help(spec: Field) -> str:
    kinds = {
        FieldType.DATE: "a date, YYYY-MM-DD (or today, +3d, +2w)",
        FieldType.INSTANT: "a UTC time, 2027-01-31T09:00:00Z",
        FieldType.ENUM: "one of " + ", ".join(spec.choices),
        FieldType.REF: f"id (or id prefix) of a {spec.ref if spec.ref != '*' else 'record'}",
        FieldType.REFS: f"comma-separated ids of {spec.ref}",
        FieldType.BOOL: "true or false",
        FieldType.INT: "a whole number",
        FieldType.FLOAT: "a number",
    }
    return kinds.get(spec.type, spec.help or "text")


@cli.group()
def add() -> None:
    """Add a record of any kind (goal, kpi, task, checkin, person, ...).

    Example: goaltui add kpi GOAL_ID "Net revenue retention" --baseline 98 --target 110 --unit %
    """


for _coll in COLLECTIONS.values():
    add.add_command(_make_add(_coll))


@cli.command()
@click.argument("record_id")
@click.argument("assignments", nargs=-1, required=True)
@pass_cli
def edit(ctx: CliContext, record_id: str, assignments: tuple[str, ...]) -> None:
    """Change fields of a record: field=value (an empty value unsets it).

    Example: goaltui edit 01JD3 status=active due=2027-06-30 owner=alice
    """
    coll_name, rid = resolve_id(ctx.reader(), record_id)
    if coll_name == "strategy":
        from goaltui.model.schema import STRATEGY

        coll = STRATEGY
    else:
        coll = collection(coll_name)
    fields = parse_assignments(ctx, coll, assignments)
    ctx.open_workspace().edit(rid, fields)
    click.echo(rid)


@cli.command()
@click.argument("record_id")
@click.option("--restore", is_flag=True, help="Un-archive instead.")
@pass_cli
def archive(ctx: CliContext, record_id: str, restore: bool) -> None:
    """Archive a record (goals, tasks, people, ...): hidden, links kept.

    Example: goaltui archive 01JD3
    """
    _, rid = resolve_id(ctx.reader(), record_id)
    ctx.open_workspace().archive(rid, not restore)
    click.echo(rid)


@cli.command()
@click.argument("target")
@click.argument("value", required=False)
@click.option("--confidence", "-c", help="How confident you are, 0–10.")
@click.option("--status", "-s", type=click.Choice(["on_track", "at_risk", "off_track"]))
@click.option("--note", "-n", help="What happened, what is next.")
@click.option("--at", help="When (UTC), default now.")
@pass_cli
def checkin(
    ctx: CliContext,
    target: str,
    value: str | None,
    confidence: str | None,
    status: str | None,
    note: str | None,
    at: str | None,
) -> None:
    """Check in on a KPI (its current value) or a goal.

    Example: goaltui checkin 01JD3 42.5 --confidence 7 --note "two deals slipped"
    """
    from goaltui.model.validate import parse_field_value

    coll_name, rid = resolve_id(ctx.reader(), target)
    spec = collection("checkins")
    fields = {
        "kpi" if coll_name == "kpis" else "goal": rid,
        "value": parse_field_value(spec.field_map["value"], value) if value is not None else None,
        "confidence": parse_field_value(spec.field_map["confidence"], confidence)
        if confidence
        else None,
        "status": status,
        "note": note,
        "at": parse_field_value(spec.field_map["at"], at) if at else None,
    }
    if coll_name not in ("kpis", "goals"):
        raise click.ClickException(f"{target} is not a KPI or a goal; check in on one of those")
    click.echo(ctx.open_workspace().add("checkin", fields, author_field="author"))
