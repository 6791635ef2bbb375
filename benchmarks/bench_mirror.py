"""The SQLite mirror: bringing one edit into it, and rebuilding it whole."""

from __future__ import annotations

import shutil
import time
from typing import Any

from benchmarks.common import Benchmark, Context, Row, log, timed

__all__ = ["BENCHMARKS"]

NAME = "mirror"
APPLIES = 50
QUICK_APPLIES = 10


def _time_applies(mirror: Any, records: list[Any], state: str, heads: list[bytes]) -> list[float]:
    samples = []
    for record in records:
        start = time.perf_counter()
        mirror.apply([record], [], state, heads=heads)
        samples.append(time.perf_counter() - start)
    return samples


def run(ctx: Context, size: int) -> list[Row]:
    """``Mirror.apply`` of one record (goal edit, new check-in) and ``Mirror.rebuild``."""
    from goaltui.mirror.store import Mirror
    from goaltui.model.records import Record
    from goaltui.paths import WorkspacePaths
    from goaltui.workspace import Workspace
    from goaltui.workspace.ids import new_id

    generated = ctx.workspace(size)
    copy = ctx.scratch(f"mirror-{size}")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(generated.paths.data_dir, copy)
    paths = WorkspacePaths(copy, generated.paths.name)
    count = QUICK_APPLIES if ctx.quick else APPLIES
    log(f"{NAME} at {size}: {count} applies of each kind, {ctx.repeat} rebuilds of each kind")
    ws = Workspace.open(paths)
    mirror = Mirror.open(paths.mirror)
    try:
        state = ws.mirror_state()
        heads = list(ws._doc.get_heads())  # stored with each write, as the workspace does
        if mirror.needs_rebuild:
            mirror.rebuild(ws.all_records(), state, heads=heads)
        goals = [ws.get(g, "goals") for g in generated.goal_ids[: count + 1]]
        edits = [
            Record(
                "goals",
                goals[i % len(goals)].id,
                {**goals[i % len(goals)].data, "title": f"Edit {i}"},
            )
            for i in range(count)
        ]
        kpis = generated.manifest["kpi_ids"]
        checkins = [
            Record(
                "checkins",
                new_id(),
                {
                    "kpi": kpis[i % len(kpis)],
                    "value": float(i),
                    "at": "2027-01-01T12:00:00Z",
                    "status": "on_track",
                },
            )
            for i in range(count)
        ]
        _time_applies(mirror, edits[:2], state, heads)  # warm-up
        rows = [
            Row(NAME, "apply: 1 goal edited", size, _time_applies(mirror, edits, state, heads)),
            Row(
                NAME,
                "apply: 1 check-in added",
                size,
                _time_applies(mirror, checkins, state, heads),
            ),
        ]
        records = list(ws.all_records())
        rows.append(
            Row(
                NAME,
                "rebuild (records already read)",
                size,
                [
                    timed(lambda: mirror.rebuild(records, state, heads=heads))
                    for _ in range(ctx.repeat)
                ],
                note=f"{len(records)} records",
            )
        )
        rows.append(
            Row(
                NAME,
                "rebuild from the document",
                size,
                [timed(ws.rebuild_mirror) for _ in range(ctx.repeat)],
                note=(
                    "Workspace.rebuild_mirror (goaltui mirror rebuild): reads every record; "
                    "a forked child shares the work from 20k records"
                ),
            )
        )
    finally:
        mirror.close()
        ws.close()
        shutil.rmtree(copy, ignore_errors=True)
    return rows


BENCHMARKS = [Benchmark(NAME, run)]
