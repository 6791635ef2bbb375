"""One durable edit in an open workspace: validated, committed, appended, fsynced, mirrored."""

from __future__ import annotations

import shutil
import time

from benchmarks.common import Benchmark, Context, Row, log

__all__ = ["BENCHMARKS"]

NAME = "durable edit"
EDITS = 200  # stays under the workspace's compaction threshold (256 chunks)
QUICK_EDITS = 20
WARMUP = 5


def run(ctx: Context, size: int) -> list[Row]:
    """Time ``ws.edit(goal, {"title": …})`` one by one, on a copy of the workspace."""
    from goaltui.paths import WorkspacePaths
    from goaltui.workspace import Workspace

    generated = ctx.workspace(size)
    copy = ctx.scratch(f"edit-{size}")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(generated.paths.data_dir, copy)
    count = QUICK_EDITS if ctx.quick else EDITS
    goals = generated.goal_ids
    row = Row(NAME, "ws.edit(goal, title)", size)
    log(f"{NAME} at {size}: {count} edits")
    ws = Workspace.open(WorkspacePaths(copy, generated.paths.name))
    try:
        ws.ensure_mirror()
        for i in range(WARMUP + count):
            goal = goals[i % len(goals)]
            start = time.perf_counter()
            ws.edit(goal, {"title": f"Edited title number {i}"})
            elapsed = time.perf_counter() - start
            if i >= WARMUP:
                row.samples.append(elapsed)
    finally:
        ws.close()
        shutil.rmtree(copy, ignore_errors=True)
    return [row]


BENCHMARKS = [Benchmark(NAME, run)]
