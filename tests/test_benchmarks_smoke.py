"""The benchmark harness runs end to end at a tiny size (no timing is asserted)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.bench_tables import tables_of

ROOT = Path(__file__).resolve().parent.parent
SQL = "sql goal_progress"
RUN = ROOT / "benchmarks" / "run.py"

# benchmark → the row labels its table must have
EXPECTED = {
    "cold open": ("open until ready (in child)", "whole process"),
    "durable edit": ("ws.edit(goal, title)",),
    "list goals --json": ("goaltui list goals --json (whole process)",),
    SQL: ("goaltui sql goal_progress (whole process)",),
    "mirror": ("apply: 1 goal edited", "apply: 1 check-in added", "rebuild from the document"),
    "bytes per record": ("document on disk (compacted)",),
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    out = tmp_path_factory.mktemp("bench-out")
    return subprocess.run(
        [sys.executable, str(RUN), "--quick", "--sizes", "200", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def test_quick_run_exits_zero_and_prints_every_table(
    quick_run: subprocess.CompletedProcess[str],
) -> None:
    assert quick_run.returncode == 0, quick_run.stderr[-2000:]
    tables = tables_of(quick_run.stdout)
    assert set(EXPECTED) <= set(tables), quick_run.stdout
    for name, labels in EXPECTED.items():
        assert [row[1] for row in tables[name]] == ["200"] * len(tables[name])
        assert {row[0] for row in tables[name]} >= set(labels), (name, tables[name])


def test_rows_are_measured_except_taskwarrior_when_missing(
    quick_run: subprocess.CompletedProcess[str],
) -> None:
    tables = tables_of(quick_run.stdout)
    measured = re.compile(r"^\d[\d,.]* (µs|ms|s|B)$")
    for name in ("cold open", "durable edit", "mirror", "bytes per record"):
        for row in tables[name]:
            assert measured.match(row[2]), (name, row)
    for name in ("list goals --json", SQL):
        (row,) = tables[name]
        assert measured.match(row[2]), (name, row)
        if shutil.which("task"):
            assert row[5].startswith("task list (200 pending)"), row
            assert row[7].endswith("×"), row
        else:
            assert "task list n/a" in row[8], row


def test_unknown_benchmark_name_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--only", "nonsense", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode != 0
    assert "no benchmark matches" in proc.stderr
    assert "cold open" in proc.stderr
    assert "Traceback" not in proc.stderr
