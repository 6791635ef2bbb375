"""The query commands end to end on a real workspace: sql, report, export, mirror."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner

from goaltui.cli import commands  # noqa: F401  (registers every command)
from goaltui.cli.app import cli


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOALTUI_NOW", "2027-03-15T12:00:00Z")
    data_dir = tmp_path / "data"

    def invoke(*args: str, ok: bool = True) -> str:
        result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])
        if ok:
            assert result.exit_code == 0, (args, result.output, result.exception)
        else:
            assert result.exit_code != 0, (args, result.output)
        return result.output

    invoke("init", "main")
    invoke("add", "goal", "Grow; revenue", "--level", "strategic", "--due", "2027-03-01")
    invoke("add", "task", "Ship it", "--due", "2027-04-02", "--milestone", "true")
    return invoke


def test_sql_formats_and_refusal(run) -> None:  # type: ignore[no-untyped-def]
    rows = json.loads(run("sql", "SELECT title, level FROM goal_progress", "--json"))
    assert rows == [{"title": "Grow; revenue", "level": "strategic"}]
    text = run("sql", "SELECT kind, title, days_overdue FROM overdue", "--csv")
    assert list(csv.reader(text.splitlines())) == [
        ["kind", "title", "days_overdue"],
        ["goal", "Grow; revenue", "14"],
    ]
    assert "Grow; revenue" in run("sql", "SELECT title FROM goals")
    refused = run("sql", "DELETE FROM goals", ok=False)
    assert "DELETE is read-only: goaltui sql runs SELECT queries only" in refused
    assert json.loads(run("sql", "SELECT count(*) AS n FROM goals", "--json")) == [{"n": 1}]


def test_report_and_exports(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = run("report")
    assert "## Goals" in report and "### Grow; revenue" in report
    assert report == run("report")
    out = tmp_path / "status.md"
    run("report", "-o", str(out))
    assert out.read_text(encoding="utf-8") == report
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "matches no cycle" in run("report", "--review", "Q9", ok=False)
    ics = tmp_path / "cal.ics"
    run("export", "--format", "ics", "-o", str(ics))
    events = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in events) == [
        "Goal due: Grow; revenue",
        "Milestone: Ship it",
    ]
    run("export", "--format", "csv", "-o", str(tmp_path / "csv"))
    header = (tmp_path / "csv" / "tasks.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("id,goal,title,assignee,status")
    assert "needs -o" in run("export", "--format", "csv", ok=False)
    assert "# Status report" in run("export", "--format", "md")


def test_mirror_commands(run) -> None:  # type: ignore[no-untyped-def]
    path = Path(run("mirror", "path").strip())
    assert path.name == "mirror.db" and path.exists()
    path.write_bytes(b"garbage" * 100)  # derived data: a rebuild recovers it
    run("mirror", "rebuild")
    assert json.loads(run("sql", "SELECT count(*) AS n FROM tasks", "--json")) == [{"n": 1}]
    path.write_bytes(b"garbage" * 100)  # and so does any read, by itself
    assert json.loads(run("sql", "SELECT count(*) AS n FROM tasks", "--json")) == [{"n": 1}]


@pytest.mark.parametrize("command", [["sql"], ["report"], ["export"], ["mirror", "rebuild"]])
def test_help_ends_with_an_example(run, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    text = run(*command, "--help")
    assert "Example: " in text
