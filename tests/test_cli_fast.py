"""``goaltui.cli.fast``: answered without click, exactly as click answers; the TUI without click."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.tui_pty import MARKER, PtyApp
from click.testing import CliRunner

from goaltui.cli import cli
from goaltui.cli.fast import _parse_globals, run_fast
from goaltui.demo import build_demo
from goaltui.model.schema import COLLECTIONS
from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data = tmp_path_factory.mktemp("data")
    with Workspace.create(WorkspacePaths(data, "demo")) as ws:
        build_demo(ws)
        ws.ensure_mirror()
    yield data


def _fast(argv: list[str]) -> str | None:
    out = io.StringIO()
    return out.getvalue() if run_fast(argv, out) else None


def _click(argv: list[str]) -> str:
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


ANSWERED = [
    ["list", "goals", "--json"],
    ["list", "kpis", "--json", "--all"],
    ["-w", "demo", "list", "tasks", "--json", "--limit", "3"],
    ["list", "goals", "--json", "--sort", "due"],
    ["list", "goals", "--sort=title", "--limit=2", "--json"],
    ["--workspace=demo", "list", "kpis", "--json", "--sort", "progress"],
    ["list", "goals", "--json", "-w", "demo"],
    ["list", "goals", "--json", "--workspace", "demo", "--all"],
]


@pytest.mark.parametrize("argv", ANSWERED, ids=" ".join)
def test_answered_exactly_as_click_answers(demo_dir: Path, argv: list[str]) -> None:
    full = ["--data-dir", str(demo_dir), *argv]
    fast = _fast(full)
    assert fast is not None, "the fast path should answer this"
    assert fast == _click(full)
    assert json.loads(fast)


def test_every_collection_is_answered_as_click_answers(demo_dir: Path) -> None:
    for kind in COLLECTIONS:
        full = ["--data-dir", str(demo_dir), "list", kind, "--json", "--all"]
        assert _fast(full) == _click(full), kind


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "goals"],  # a table
        ["list", "goals", "--json", "level=team"],  # filters
        ["list", "goals", "--json", "--sort", "-due"],
        ["list", "goals", "--json", "--sort", "nonsense"],
        ["list", "nope", "--json"],
        ["list", "goals", "--json", "--limit", "0"],
        ["list", "goals", "--json", "--limit", "x"],
        ["list", "goals", "--json", "--help"],
        ["list", "goals", "--json", "--data-dir", "/elsewhere"],  # not an option of list
        ["list", "goals", "--json", "-wdemo"],
        ["list", "--json"],
        ["list"],
        ["show", "goals"],
        ["--version"],
        ["-w", "nosuch", "list", "goals", "--json"],
    ],
    ids=" ".join,
)
def test_anything_else_is_left_to_click(demo_dir: Path, argv: list[str]) -> None:
    assert _fast(["--data-dir", str(demo_dir), *argv]) is None


def test_a_mirror_behind_the_document_is_left_to_click(tmp_path: Path) -> None:
    paths = WorkspacePaths(tmp_path, "main")
    with Workspace.create(paths) as ws:
        ws.add("goals", {"title": "First", "level": "strategic"})
    argv = ["--data-dir", str(tmp_path), "list", "goals", "--json"]
    assert _fast(argv) is not None
    other = Workspace.open(paths)  # another process's edit, its mirror left behind
    other._mirror_apply = lambda records: None  # type: ignore[method-assign]
    other.add("goals", {"title": "Second", "level": "strategic"})
    other.close()
    assert _fast(argv) is None
    titles = [g["title"] for g in json.loads(_click(argv))]
    assert titles == ["First", "Second"]
    assert _fast(argv) is not None  # click brought the mirror up to date


def test_a_data_dir_that_is_a_file_is_left_to_click(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert _fast(["--data-dir", str(tmp_path / "file"), "list", "goals", "--json"]) is None


def test_the_command_does_not_import_click(demo_dir: Path) -> None:
    code = (
        "import sys; sys.argv = ['goaltui', '--data-dir', sys.argv[1], 'list', 'goals', '--json']\n"
        "from goaltui.cli import main\n"
        "main()\n"
        "print('click' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(demo_dir)], capture_output=True, text=True, check=True
    )
    assert done.stderr.strip() == "False"
    assert len(json.loads(done.stdout)) == len(
        json.loads(_fast(["--data-dir", str(demo_dir), "list", "goals", "--json"]) or "[]")
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {}),
        (["-w", "demo"], {"workspace": "demo"}),
        (["--data-dir=/d", "--workspace", "w"], {"data_dir": "/d", "workspace": "w"}),
        (["--help"], None),
        (["--version"], None),
        (["list"], None),
        (["-w"], None),
    ],
)
def test_a_command_line_of_global_options_only(argv: list[str], expected: object) -> None:
    assert _parse_globals(argv) == expected


def test_no_workspace_yet_is_left_to_click(tmp_path: Path) -> None:
    """A first run creates the demo: that is click's (and says so on stderr)."""
    assert run_fast(["--data-dir", str(tmp_path)]) is False
    assert not (tmp_path / "workspaces").exists()


def test_the_tui_opens_without_click(demo_dir: Path, tmp_path: Path) -> None:
    """``goaltui -w demo`` in a real terminal: the tree is drawn, q quits, click never loaded."""
    report = tmp_path / "modules"
    code = (
        "import sys\n"
        "report = sys.argv[2]\n"
        "sys.argv = ['goaltui', '--data-dir', sys.argv[1], '-w', 'demo']\n"
        "from goaltui.cli import main\n"
        "main()\n"
        "open(report, 'w').write(str('click' in sys.modules))\n"
    )
    term = {**os.environ, "TERM": "xterm-256color"}
    app = PtyApp([sys.executable, "-c", code, str(demo_dir), str(report)], env=term)
    try:
        app.wait_for(MARKER, 30)
        os.write(app.master, b"q")
        app.settle(quiet=0.5, limit=20)
        assert app.proc.wait(timeout=10) == 0, bytes(app.output[-800:])
        assert report.read_text() == "False"
    finally:
        app.close()
