"""The sync and relay-load benchmarks run end to end at tiny sizes (no timing asserted)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.bench_tables import tables_of

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"
JS_READY = (ROOT / "sync" / "js" / "node_modules" / "@automerge" / "automerge-repo").is_dir()


@pytest.mark.slow
def test_sync_benchmarks_quick_run(tmp_path: Path) -> None:
    if not shutil.which("node") or not JS_READY:
        pytest.skip("node and the pinned JS packages (cd sync/js && npm ci) are needed")
    only = ["--only", "sync:", "--only", "relay load"]
    proc = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--sizes", "60", "--out", str(tmp_path), *only],
        capture_output=True,
        text=True,
        timeout=400,  # a few seconds of CPU, but minutes of wall time on a busy machine
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    tables = tables_of(proc.stdout)
    push = tables["sync: first replication"]
    assert [r[0] for r in push] == [
        "push to a fresh goaltui relay: wall time",
        "push to a fresh goaltui relay: bytes on the wire",
        "push: client CPU (goaltui sync)",
        "push: server CPU (relay process)",
    ]
    live = tables["sync: catch-up and latency"]
    assert len(live) == 6
    load = tables["relay load (JS clients)"]
    assert len(load) == 7
    assert any("client hold p99" in row[0] for row in load)
    for row in push + live + load:
        assert "n/a" not in row[2], row
        assert row[5] == "official server", row  # compared in the same run
    assert "0 missing" in load[0][8] and "0 dropped" in load[0][8]
    # every server process was stopped: nothing still listens from the scratch directory
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, check=False)
    assert leftover.stdout == b""
