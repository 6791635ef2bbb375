"""Acknowledged edits survive SIGKILL; random operation sequences reload identically."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace

HELPER = Path(__file__).parent / "helpers" / "ws_writer.py"


def _acked_ids(output: bytes) -> list[str]:
    lines = output.decode(errors="replace").splitlines()
    # the last line may be cut by the kill; only whole "ack <id>" lines count
    return [line.split()[1] for line in lines if line.startswith("ack ") and len(line) == 30]


@pytest.mark.slow
def test_every_acknowledged_edit_survives_sigkill(ws_paths: WorkspacePaths) -> None:
    Workspace.create(ws_paths).close()
    rng = random.Random(7)
    acked: list[str] = []
    for _ in range(4):
        child = subprocess.Popen(
            [sys.executable, str(HELPER), str(ws_paths.data_dir), ws_paths.name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert child.stdout is not None
        first = child.stdout.readline()  # wait until it is writing
        assert first.startswith(b"ack "), child.stderr.read() if child.stderr else first
        time.sleep(rng.uniform(0.05, 0.4))
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        acked += _acked_ids(first + rest)
    assert len(acked) > 8
    with Workspace.open(ws_paths) as ws:
        present = {g.id for g in ws.records("goals")}
        assert ws.problems == [] or all("quarantine" in p or "moved" in p for p in ws.problems)
    missing = [gid for gid in acked if gid not in present]
    assert missing == []


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30
).filter(str.strip)

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), TEXT),
        st.tuples(st.just("describe"), st.one_of(st.just(""), TEXT)),
        st.tuples(st.just("status"), st.sampled_from(["draft", "active", "achieved"])),
        st.tuples(st.just("archive"), st.booleans()),
        st.tuples(st.just("checkin"), st.integers(min_value=0, max_value=10)),
        st.tuples(st.just("compact"), st.none()),
    ),
    min_size=1,
    max_size=12,
)


def _state(ws: Workspace) -> dict[str, dict[str, dict[str, object]]]:
    return {
        name: {r.id: dict(r.data) for r in ws.records(name, include_archived=True)}
        for name in ("goals", "checkins")
    }


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_random_operations_reload_to_the_same_state(
    tmp_path: Path, ops: list[tuple[str, object]]
) -> None:
    paths = WorkspacePaths(Path(tempfile.mkdtemp(dir=tmp_path)), "main")
    goals: list[str] = []
    with Workspace.create(paths) as ws:
        for op, arg in ops:
            if op == "add" or not goals:
                goals.append(ws.add_goal(str(arg) if op == "add" else "first"))
            elif op == "describe":
                ws.edit(goals[-1], {"description": arg or None})
            elif op == "status":
                ws.edit(goals[-1], {"status": arg})
            elif op == "archive":
                ws.archive(goals[-1], bool(arg))
            elif op == "checkin":
                ws.check_in(goals[-1], confidence=int(arg))  # type: ignore[call-overload]
            elif op == "compact":
                ws.compact()
        expected = _state(ws)
        heads = ws._doc.get_heads()
    with Workspace.open(paths) as again:
        assert _state(again) == expected
        assert again._doc.get_heads() == heads
