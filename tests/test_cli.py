"""The CLI end to end, in-process through click, on real files."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def seeded(cli_run):  # type: ignore[no-untyped-def]
    assert cli_run("init", "--me", "Dana Lee").exit_code == 0
    gid = cli_run(
        "add", "goal", "Launch v2 in Europe", "--level", "strategic", "--due", "2027-06-30"
    ).output.strip()
    return gid


def test_add_list_show_round_trip(cli_run, seeded) -> None:  # type: ignore[no-untyped-def]
    kid = cli_run(
        "add", "kpi", seeded, "EU signups", "--baseline", "0", "--target", "1000"
    ).output.strip()
    assert cli_run("checkin", kid, "250", "--confidence", "7", "--note", "good week").exit_code == 0
    rows = json.loads(cli_run("list", "goals", "--json").output)
    assert [r["id"] for r in rows] == [seeded]
    assert rows[0]["title"] == "Launch v2 in Europe"
    assert rows[0]["progress"] == pytest.approx(0.25)
    kpis = json.loads(cli_run("list", "kpis", "--json").output)
    assert kpis[0]["progress"] == pytest.approx(0.25)
    shown = json.loads(cli_run("show", seeded[-8:], "--json").output)
    assert shown["id"] == seeded and shown["kind"] == "goal"
    assert "smart_check" in shown and "warnings" in shown


def test_list_filters_by_field(cli_run, seeded) -> None:  # type: ignore[no-untyped-def]
    cli_run("add", "goal", "Team goal", "--level", "team", "--parent", seeded)
    team = json.loads(cli_run("list", "goals", "level=team", "--json").output)
    assert [g["title"] for g in team] == ["Team goal"]
    assert team[0]["parent"] == seeded


def test_edit_and_archive(cli_run, seeded) -> None:  # type: ignore[no-untyped-def]
    assert cli_run("edit", seeded, "status=active", "due=2027-07-31").exit_code == 0
    goal = json.loads(cli_run("show", seeded, "--json").output)
    assert goal["status"] == "active" and goal["due"] == "2027-07-31"
    assert cli_run("archive", seeded).exit_code == 0
    assert json.loads(cli_run("list", "goals", "--json").output) == []
    assert len(json.loads(cli_run("list", "goals", "--all", "--json").output)) == 1


def test_people_are_found_by_handle(cli_run, seeded) -> None:  # type: ignore[no-untyped-def]
    pid = cli_run("add", "person", "Ana Ruiz", "--handle", "ana").output.strip()
    assert cli_run("edit", seeded, "owner=ana").exit_code == 0
    assert json.loads(cli_run("show", seeded, "--json").output)["owner"] == pid


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "goal", "X", "--due", "2027-02-30"), "not a real date"),
        (("add", "goal", "X", "--level", "cosmic"), "level"),
        (("add", "kpi", "NOPE", "Signups"), "no goals with id"),
        (("edit", "ZZZZ", "title=x"), "no record with id"),
        (("list", "goals", "colour=red"), "has no field 'colour'"),
        (("checkin", "ZZZZ", "5"), "no record with id"),
        (("add", "checkin", "--confidence", "5"), "kpi"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_1(cli_run, seeded, args, message) -> None:  # type: ignore[no-untyped-def]
    result = cli_run(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_workspace_says_how_to_create_one(cli_run) -> None:  # type: ignore[no-untyped-def]
    result = cli_run("list", "goals")
    assert result.exit_code == 1
    assert "goaltui init" in result.output


def test_export_import_round_trip(cli_run, seeded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cli_run("add", "kpi", seeded, "Signups", "--target", "100")
    exported = cli_run("export", "--format", "json").output
    path = tmp_path / "backup.json"
    path.write_text(exported)
    result = cli_run("import", str(path), "-w", "restored")
    assert result.exit_code == 0, result.output
    again = json.loads(cli_run("-w", "restored", "export", "--format", "json").output)
    first = json.loads(exported)
    for key in ("goals", "kpis", "people", "strategy"):
        assert again[key] == first[key]


def test_import_rejects_a_bad_file_without_creating_a_workspace(cli_run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"format": "goaltui-export-1", "goals": {"01A": {"due": "2027-01-01"}}})
    )
    result = cli_run("import", str(bad), "-w", "x")
    assert result.exit_code == 1
    assert "title: is required" in result.output
    assert "x" not in cli_run("workspaces").output.split()


def test_log_and_doctor(cli_run, seeded) -> None:  # type: ignore[no-untyped-def]
    log = json.loads(cli_run("log", "--json").output)
    assert log[-1]["who"] == "Dana Lee"
    assert "Launch v2 in Europe" in log[-1]["summary"]
    doctor = cli_run("doctor")
    assert doctor.exit_code == 0, doctor.output
    assert "no problems found" in doctor.output


def test_every_command_has_help_with_an_example() -> None:
    import click

    from goaltui.cli import cli

    cli.load_all()

    def walk(group: click.Group, prefix: str = ""):  # type: ignore[no-untyped-def]
        for name, command in group.commands.items():
            yield f"{prefix}{name}", command
            if isinstance(command, click.Group):
                yield from walk(command, f"{prefix}{name} ")

    for name, command in walk(cli):
        assert command.help, f"{name} has no help"
        assert "Example:" in command.help, f"{name}'s help has no example"


def test_lazy_command_table_matches_what_modules_register() -> None:
    import importlib

    import click

    from goaltui.cli import cli
    from goaltui.cli.commands import COMMAND_MODULES

    for module, names in COMMAND_MODULES.items():
        before = set(cli.commands)
        importlib.import_module(f"goaltui.cli.{module}")
        registered = set(cli.commands) - before
        assert registered <= set(names), f"{module} registers {registered - set(names)} unlisted"
        assert set(names) <= set(cli.commands), f"{module} lacks {set(names) - set(cli.commands)}"
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(cli.commands)
