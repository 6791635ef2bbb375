"""Failures a user can hit, run as real processes: a full disk, a corrupt file."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace


def _goaltui(
    data_dir: Path, *args: str, limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    def small_disk() -> None:  # writes past `limit` bytes fail, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {k: v for k, v in os.environ.items() if k != "GOALTUI_DATA_DIR"}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from goaltui.cli import main; main()",
            "--data-dir",
            str(data_dir),
            *args,
        ],
        capture_output=True,
        text=True,
        preexec_fn=small_disk,
        env=env,
        timeout=120,
    )


def test_a_full_disk_fails_the_edit_clearly_and_loses_nothing(data_dir: Path) -> None:
    paths = WorkspacePaths(data_dir, "main")
    with Workspace.create(paths) as ws:
        kept = ws.add_goal("Already saved")
        ws.ensure_mirror()
    big = os.urandom(50_000).hex()  # incompressible: the change is larger than the limit
    result = _goaltui(data_dir, "add", "goal", "Too big", "--description", big, limit=20_000)
    assert result.returncode == 1
    assert "Error:" in result.stderr and "not saved" in result.stderr
    assert "Traceback" not in result.stderr
    leftovers = [p for p in paths.repo.rglob("*") if p.is_file() and p.name.startswith(".")]
    assert leftovers == []
    listed = json.loads(_goaltui(data_dir, "list", "goals", "--json").stdout)
    assert [g["id"] for g in listed] == [kept]


def test_a_corrupt_change_file_is_set_aside_and_reported(data_dir: Path) -> None:
    paths = WorkspacePaths(data_dir, "main")
    with Workspace.create(paths) as ws:
        first = ws.add_goal("First")
        second = ws.add_goal("Second")
    chunks = sorted(paths.repo.rglob("incremental/*"), key=lambda p: p.stat().st_mtime_ns)
    chunks[-1].write_bytes(chunks[-1].read_bytes()[:20])  # truncated, as by a crash of the disk
    result = _goaltui(data_dir, "doctor")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "quarantine" in result.stdout + result.stderr or "moved" in result.stdout + result.stderr
    listed = json.loads(_goaltui(data_dir, "list", "goals", "--json").stdout)
    ids = {g["id"] for g in listed}
    assert first in ids and second not in ids
    assert list((paths.repo / "quarantine").rglob("*"))


@pytest.mark.parametrize(
    "payload", [b"", b"not json", b"[1, 2]", b'{"format": "goaltui-export-1", "goals": []}']
)
def test_importing_garbage_is_one_clear_line(
    data_dir: Path, tmp_path: Path, payload: bytes
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(payload)
    result = _goaltui(data_dir, "import", str(bad), "-w", "restored")
    assert result.returncode == 1
    assert result.stderr.startswith("Error:") and "Traceback" not in result.stderr
    assert not WorkspacePaths(data_dir, "restored").exists()
