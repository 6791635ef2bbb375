"""Cold open: a fresh process opens the workspace until it is ready for edits."""

from __future__ import annotations

import json

from benchmarks.common import Benchmark, Context, Row, Unavailable, log, run_child

__all__ = ["BENCHMARKS", "CHILD"]

NAME = "cold open"

# Runs in the child: the clock starts before goaltui is imported.
CHILD = """\
import json, sys, time
start = time.perf_counter()
from pathlib import Path
from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace
ws = Workspace.open(WorkspacePaths(Path(sys.argv[1]), sys.argv[2]))
ws.ensure_mirror()
ready = time.perf_counter() - start
ws.close()
print(json.dumps({"ready": ready, "problems": ws.problems}))
"""


def run(ctx: Context, size: int) -> list[Row]:
    """Time ``Workspace.open`` + mirror check in a new process, repeated."""
    paths = ctx.workspace(size).paths
    built = f"built by {ctx.workspace(size).manifest['method']}"
    inside = Row(NAME, "open until ready (in child)", size, note=built)
    wall = Row(NAME, "whole process", size, note=built)
    argv = [ctx.python, "-c", CHILD, str(paths.data_dir), paths.name]
    log(f"{NAME} at {size}: {ctx.repeat} runs")
    run_child(argv)  # warm the page cache: every measured run is equally warm
    for _ in range(ctx.repeat):
        seconds, out = run_child(argv)
        report = json.loads(out.strip().splitlines()[-1])
        if report["problems"]:
            raise Unavailable(f"the workspace opened with problems: {report['problems'][0]}")
        inside.samples.append(float(report["ready"]))
        wall.samples.append(seconds)
    return [inside, wall]


BENCHMARKS = [Benchmark(NAME, run)]
