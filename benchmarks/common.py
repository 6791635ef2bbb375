"""What every benchmark shares: result rows, statistics, the run context, child processes."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.generate import Generated
    from benchmarks.taskwarrior import TaskDb

__all__ = [
    "Benchmark",
    "Context",
    "Row",
    "Unavailable",
    "log",
    "median",
    "p95",
    "run_child",
    "timed",
]

CHILD_TIMEOUT = 900.0  # seconds; a hung child becomes an "n/a" row, not a hung harness


class Unavailable(Exception):
    """A benchmark (or one of its rows) cannot run here; the message says why."""


@dataclass
class Row:
    """One line of a result table: a measurement at one size, maybe compared with another."""

    benchmark: str
    label: str
    size: int
    samples: list[float] = field(default_factory=list)
    unit: str = "s"  # "s" (seconds) or "B" (bytes)
    against: str = ""
    their: list[float] = field(default_factory=list)
    note: str = ""
    na: str | None = None

    @classmethod
    def unavailable(cls, benchmark: str, label: str, size: int, reason: str) -> Row:
        return cls(benchmark, label, size, na=reason)


@dataclass(frozen=True)
class Benchmark:
    """A named benchmark: ``run(ctx, size)`` returns its rows at one size."""

    name: str
    run: Callable[[Context, int], list[Row]]


@dataclass
class Context:
    """Options of this run and the (cached) fixtures benchmarks share."""

    out_dir: Path
    repeat: int
    quick: bool
    fresh: bool = False
    build: str = "auto"
    python: str = sys.executable
    _workspaces: dict[int, Generated] = field(default_factory=dict)
    _taskdbs: dict[int, TaskDb] = field(default_factory=dict)

    def workspace(self, size: int) -> Generated:
        """The synthetic workspace of ``size`` records (generated once, then cached on disk)."""
        if size not in self._workspaces:
            from benchmarks.generate import cached_workspace

            self._workspaces[size] = cached_workspace(
                self.out_dir, size, build=self.build, fresh=self.fresh
            )
        return self._workspaces[size]

    def taskdb(self, size: int) -> TaskDb:
        """A taskwarrior database of ``size`` pending tasks; Unavailable without ``task``."""
        if size not in self._taskdbs:
            from benchmarks.taskwarrior import cached_taskdb

            self._taskdbs[size] = cached_taskdb(self.out_dir, size, fresh=self.fresh)
        return self._taskdbs[size]

    def scratch(self, name: str) -> Path:
        """A directory for throwaway copies, emptied by the caller."""
        path = self.out_dir / "scratch" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def p95(samples: Sequence[float]) -> float:
    """The 95th percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    rank = max(1, round(0.95 * len(ordered)))
    return ordered[rank - 1]


def log(message: str) -> None:
    """Progress on stderr, so that stdout holds only the tables."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def timed(fn: Callable[[], object]) -> float:
    """Seconds ``fn()`` took (perf_counter)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_child(
    argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, str]:
    """Run a whole process, capturing its output; (wall seconds, stdout).

    Raises Unavailable with the last line of stderr if it fails, so that the
    row says why instead of the harness crashing.
    """
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
    except FileNotFoundError as exc:
        raise Unavailable(f"{argv[0]} not found: {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise Unavailable(f"{Path(argv[0]).name} took over {CHILD_TIMEOUT:.0f} s") from None
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        last = lines[-1].strip() if lines else "no output"
        raise Unavailable(f"{Path(argv[0]).name} exited {proc.returncode}: {last[:160]}")
    return wall, proc.stdout
