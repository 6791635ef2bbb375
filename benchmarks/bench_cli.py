"""Whole ``goaltui`` processes against taskwarrior's ``task list`` over as many pending tasks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import Benchmark, Context, Row, Unavailable, log, run_child
from benchmarks.generate import Generated

__all__ = ["BENCHMARKS", "goaltui_binary"]

LIST = "list goals --json"
SQL = "sql goal_progress"
SQL_QUERY = "SELECT id, title, due, progress FROM goal_progress WHERE owner = {owner} ORDER BY due"


def goaltui_binary() -> str:
    """The installed console script next to this interpreter (else on PATH)."""
    beside = Path(sys.executable).parent / "goaltui"
    if beside.is_file():
        return str(beside)
    found = shutil.which("goaltui")
    if found is None:
        raise Unavailable("the goaltui console script is not installed (pip install -e .)")
    return found


def _base(generated: Generated) -> list[str]:
    paths = generated.paths
    return [goaltui_binary(), "--data-dir", str(paths.data_dir), "--workspace", paths.name]


def list_argv(generated: Generated) -> list[str]:
    return [*_base(generated), "list", "goals", "--json"]


def sql_argv(generated: Generated) -> list[str]:
    """``goaltui sql`` with the owner as a bound parameter if the CLI takes them."""
    helptext = subprocess.run(
        [goaltui_binary(), "sql", "--help"], capture_output=True, text=True, check=False
    ).stdout
    if "--param" in helptext:
        return [*_base(generated), "sql", SQL_QUERY.format(owner="?"), "--param", generated.owner]
    return [*_base(generated), "sql", SQL_QUERY.format(owner=f"'{generated.owner}'")]


def _check_list(out: str, generated: Generated) -> str:
    """Proof the command did its job: the JSON parses; how many goals it printed."""
    try:
        rows = json.loads(out)
    except ValueError:
        raise Unavailable(f"list goals --json printed no JSON: {out[:80]!r}") from None
    if isinstance(rows, dict):
        rows = next((v for v in rows.values() if isinstance(v, list)), [])
    return f"{len(rows)} of {generated.manifest['counts']['goals']} goals printed"


def _check_sql(out: str, generated: Generated) -> str:
    lines = [ln for ln in out.splitlines() if ln.strip()]
    if not lines:
        raise Unavailable("goaltui sql printed nothing for the busiest owner")
    return f"{len(lines)} lines printed"


def _versus_task_list(
    ctx: Context, size: int, name: str, argv: list[str], check: Callable[[str, Generated], str]
) -> list[Row]:
    generated = ctx.workspace(size)
    row = Row(name, f"goaltui {name} (whole process)", size)
    _, out = run_child(argv)  # warm-up, and proof the command works
    row.note = check(out, generated)
    try:
        taskdb = ctx.taskdb(size)
        taskdb.run("list")
    except Unavailable as exc:
        row.note = f"{row.note}; task list n/a ({exc})"
        taskdb = None
    else:
        row.against = f"task list ({size} pending)"
    log(f"{name} at {size}: {ctx.repeat} runs each, interleaved")
    for _ in range(ctx.repeat):
        row.samples.append(run_child(argv)[0])
        if taskdb is not None:
            row.their.append(taskdb.run("list")[0])
    return [row]


def run_list(ctx: Context, size: int) -> list[Row]:
    return _versus_task_list(ctx, size, LIST, list_argv(ctx.workspace(size)), _check_list)


def run_sql(ctx: Context, size: int) -> list[Row]:
    return _versus_task_list(ctx, size, SQL, sql_argv(ctx.workspace(size)), _check_sql)


BENCHMARKS = [Benchmark(LIST, run_list), Benchmark(SQL, run_sql)]
