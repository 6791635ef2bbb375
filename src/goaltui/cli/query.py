"""``sql``, ``report``, ``export`` and ``mirror``: read-only questions answered from the mirror."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import click

from goaltui.cli.app import CliContext, cli, echo_json, pass_cli
from goaltui.cli.table import render_table

__all__ = ["export", "mirror", "report", "sql"]


@cli.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print rows as a JSON list of objects.")
@click.option("--csv", "as_csv", is_flag=True, help="Print rows as CSV with a header row.")
@pass_cli
def sql(ctx: CliContext, query: str, as_json: bool, as_csv: bool) -> None:
    """Run one read-only SQL QUERY on the workspace's SQLite mirror.

    Tables are named after the collections (goals, kpis, checkins, tasks, ...; values
    are in strategy_values); views: goal_progress, alignment, overdue, stale_checkins,
    risk_matrix, priority_divergence. See docs/sql.md. Writes are refused.

    Example: goaltui sql "SELECT title, progress FROM goal_progress ORDER BY progress" --json
    """
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    names, rows = ctx.reader().query(query)
    if as_json:
        echo_json([dict(zip(names, row, strict=True)) for row in rows])
    elif as_csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    elif names:
        click.echo(render_table([dict(zip(names, row, strict=True)) for row in rows], names))


@cli.command()
@click.option("--cycle", default=None, help="Only goals of this cycle (id or name).")
@click.option("--team", default=None, help="Only goals of this team (id or name).")
@click.option(
    "--review",
    "review_cycle",
    default=None,
    metavar="CYCLE",
    help="Print the end-of-cycle review pack of CYCLE instead.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (0600) instead of standard output.",
)
@pass_cli
def report(
    ctx: CliContext,
    cycle: str | None,
    team: str | None,
    review_cycle: str | None,
    output: Path | None,
) -> None:
    """Print a Markdown status report: strategy, goals with progress, risks, what needs attention.

    With --review, the review pack of a cycle: outcomes against targets, scores, lessons
    learned and next steps. The output is stable (no timestamp), so it diffs well.

    Example: goaltui report --cycle "2027 Q1" -o status.md
    """
    from goaltui.reports.markdown import review_pack, status_report

    reader = ctx.reader()
    if review_cycle is not None:
        if cycle or team:
            raise click.UsageError("--review takes no --cycle or --team")
        text = review_pack(reader, review_cycle)
    else:
        text = status_report(reader, cycle=cycle, team=team)
    _emit(text, output)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "csv", "ics", "json"]),
    required=True,
    help="md: status report; csv: one file per collection; ics: calendar; "
    "json: everything, losslessly.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="File to write (0600); for csv a directory or a .zip (required).",
)
@pass_cli
def export(ctx: CliContext, fmt: str, output: Path | None) -> None:
    """Export the workspace as Markdown, CSV, iCalendar or JSON.

    csv writes <collection>.csv files (header: id and the field names) into a directory
    or a .zip; ics has all-day events for milestones, task and goal due dates.

    Example: goaltui export --format ics -o goals.ics
    """
    if fmt == "json":
        data: Any = ctx.open_workspace().export_json()
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False, default=str)
        if output is None:
            echo_json(data)
        else:
            _emit(text + "\n", output)
        return
    reader = ctx.reader()
    if fmt == "md":
        from goaltui.reports.markdown import status_report

        _emit(status_report(reader), output)
    elif fmt == "ics":
        from goaltui.reports.ics import ics_calendar

        _emit(ics_calendar(reader, name=ctx.workspace_name), output)
    else:
        from goaltui.reports.csv_export import export_csv

        if output is None:
            raise click.UsageError("--format csv needs -o DIR or -o FILE.zip")
        if output.exists() and not output.is_dir() and output.suffix.lower() != ".zip":
            raise click.UsageError(f"{output} is a file; give a directory or a .zip for csv")
        names = export_csv(reader, output)
        click.echo(f"wrote {len(names)} CSV files to {output}", err=True)


@cli.group()
def mirror() -> None:
    """The SQLite mirror: derived data, safe to delete and rebuild.

    Example: sqlite3 "$(goaltui mirror path)" "SELECT * FROM goal_progress"
    """


@mirror.command("rebuild")
@pass_cli
def mirror_rebuild(ctx: CliContext) -> None:
    """Rebuild the mirror from the workspace's document, from scratch.

    Example: goaltui mirror rebuild
    """
    ctx.open_workspace().rebuild_mirror()
    click.echo(f"rebuilt {ctx.mirror_path()}", err=True)


@mirror.command("path")
@pass_cli
def mirror_path(ctx: CliContext) -> None:
    """Print the path of the mirror file (for sqlite3, datasette and friends).

    Example: datasette "$(goaltui mirror path)"
    """
    click.echo(str(ctx.mirror_path()))


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_private(output, text.encode("utf-8"))


def _write_private(path: Path, data: bytes) -> None:
    """Write a user-requested file, private (0600) whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
