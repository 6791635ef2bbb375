"""The yardstick users know: taskwarrior over the same number of pending tasks.

Each size gets a throwaway TASKDATA and TASKRC (no confirmation, no hooks, no
chatter) filled once with ``task import`` and cached under the output directory.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from benchmarks.common import Unavailable, log, run_child

__all__ = ["TaskDb", "cached_taskdb", "task_binary", "task_version"]

TASKRC = """\
data.location={data}
confirmation=off
verbose=nothing
hooks=off
json.array=on
color=off
recurrence=off
"""
_PROJECTS = ("web", "mobile", "infra", "billing", "docs", "hiring", "support", "research")
_WORDS = ("fix", "write", "review", "ship", "plan", "test", "migrate", "document", "release")


def task_binary() -> str:
    """The path of ``task``; Unavailable (with how to install it) if it is missing."""
    found = shutil.which("task")
    if found is None:
        raise Unavailable("taskwarrior not installed: apt-get install -y taskwarrior")
    return found


def task_version() -> str:
    try:
        out = subprocess.run(
            [task_binary(), "--version"], capture_output=True, text=True, check=False, timeout=30
        )
    except (Unavailable, OSError, subprocess.TimeoutExpired):
        return "not installed"
    return out.stdout.strip() or "unknown"


@dataclass(frozen=True)
class TaskDb:
    """A taskwarrior database: run ``task`` against it with :meth:`argv` and :attr:`env`."""

    root: Path
    size: int

    @property
    def taskrc(self) -> Path:
        return self.root / "taskrc"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(TASKRC=str(self.taskrc), TASKDATA=str(self.root / "data"))
        return env

    def argv(self, *args: str) -> list[str]:
        return [task_binary(), *args]

    def run(self, *args: str) -> tuple[float, str]:
        """(wall seconds, stdout) of one ``task`` process."""
        return run_child(self.argv(*args), env=self.env, cwd=self.root)


def pending_tasks(n: int, seed: int = 0) -> list[dict[str, str]]:
    """``n`` pending tasks in taskwarrior's JSON import format."""
    rng = random.Random(seed)
    start = date(2026, 1, 5)
    tasks = []
    for _ in range(n):
        due = start + timedelta(days=rng.randint(0, 540))
        tasks.append(
            {
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "status": "pending",
                "entry": "20260105T090000Z",
                "description": " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 7))),
                "project": rng.choice(_PROJECTS),
                "due": due.strftime("%Y%m%dT000000Z"),
                "priority": rng.choice(("H", "M", "L")),
            }
        )
    return tasks


def cached_taskdb(out_dir: Path, size: int, *, fresh: bool = False) -> TaskDb:
    """The database of ``size`` pending tasks, imported on first use only."""
    task_binary()
    root = Path(out_dir) / f"taskwarrior-{size}"
    db = TaskDb(root, size)
    done = root / "imported"
    if done.is_file() and not fresh:
        return db
    if root.exists():
        shutil.rmtree(root)
    (root / "data").mkdir(parents=True)
    db.taskrc.write_text(TASKRC.format(data=root / "data"))
    source = root / "tasks.json"
    source.write_text(json.dumps(pending_tasks(size)))
    log(f"importing {size} tasks into taskwarrior…")
    db.run("import", str(source))
    _, count = db.run("status:pending", "count")
    if count.strip() != str(size):
        raise Unavailable(f"taskwarrior imported {count.strip()} tasks, expected {size}")
    db.run("list")  # the first report after an import also runs the garbage collector
    done.write_text("ok\n")
    return db
