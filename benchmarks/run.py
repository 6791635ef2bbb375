"""Run goaltui's benchmarks and print one Markdown table per benchmark.

    python benchmarks/run.py [--sizes 1000,10000,100000] [--repeat N] [--only NAME] [--quick]

Progress goes to stderr, tables to stdout. A benchmark that cannot run here (a
command missing, taskwarrior not installed, a part not finished) prints
"n/a (reason)" in its row instead of stopping the others. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import traceback
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks.*`` importable
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks import (
    bench_bytes,
    bench_cli,
    bench_edit,
    bench_mirror,
    bench_open,
    bench_relay_load,
    bench_sync,
    bench_tui,
)
from benchmarks.common import Benchmark, Context, Row, Unavailable, log
from benchmarks.generate import ADD_LIMIT, BUILDS
from benchmarks.report import format_table

__all__ = ["ALL", "main"]

ALL: list[Benchmark] = [
    *bench_open.BENCHMARKS,
    *bench_edit.BENCHMARKS,
    *bench_cli.BENCHMARKS,
    *bench_mirror.BENCHMARKS,
    *bench_bytes.BENCHMARKS,
    *bench_sync.BENCHMARKS,
    *bench_relay_load.BENCHMARKS,
    *bench_tui.BENCHMARKS,
]
DEFAULT_SIZES = "1000,10000,100000"
QUICK_SIZES = "200"
OUT = Path(__file__).resolve().parent / "out"


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give record counts separated by commas, e.g. 1000,10000"
        ) from None
    if not sizes or min(sizes) < 50:
        raise argparse.ArgumentTypeError("sizes must be at least 50 records")
    return sizes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Measure goaltui (and taskwarrior for comparison); prints Markdown tables.",
        epilog="Example: python benchmarks/run.py --sizes 1000,10000 --only 'cold open'",
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=None,
        help=f"workspace sizes in records (default {DEFAULT_SIZES}; {QUICK_SIZES} with --quick)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs per measurement of whole processes and rebuilds (default 5, 1 with --quick)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only benchmarks whose name contains NAME (repeatable); one of: "
        + ", ".join(b.name for b in ALL),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes and single runs: checks the harness, measures nothing",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=OUT,
        help="where generated workspaces are cached (default benchmarks/out)",
    )
    parser.add_argument(
        "--build",
        choices=BUILDS,
        default="auto",
        help=f"how workspaces are made: one Workspace.add per record (a history like real use), "
        f"one import_data transaction (fast), or auto: add up to {ADD_LIMIT} records",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="regenerate cached workspaces and taskwarrior databases",
    )
    return parser


def _selected(only: list[str]) -> list[Benchmark]:
    if not only:
        return ALL
    wanted = [b for b in ALL if any(o.lower() in b.name.lower() for o in only)]
    if not wanted:
        names = ", ".join(repr(b.name) for b in ALL)
        sys.exit(f"error: no benchmark matches {only}; the benchmarks are {names}")
    return wanted


def _environment(ctx: Context) -> str:
    from importlib.metadata import PackageNotFoundError, version

    from benchmarks.taskwarrior import task_version

    def ver(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "?"

    return (
        f"{datetime.datetime.now().isoformat(timespec='seconds')} · "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()} · goaltui {ver('goaltui')} · "
        f"automerge {ver('automerge')} · taskwarrior {task_version()} · "
        f"repeat {ctx.repeat} · build {ctx.build}{' · quick' if ctx.quick else ''}"
    )


def _run_one(bench: Benchmark, ctx: Context, size: int) -> list[Row]:
    """The rows of one benchmark at one size; any failure becomes an "n/a" row."""
    try:
        return bench.run(ctx, size)
    except Unavailable as exc:
        reason = str(exc)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a Rust panic is a BaseException
        log(f"{bench.name} at {size} failed:\n{traceback.format_exc()}")
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        reason = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    log(f"{bench.name} at {size}: n/a ({reason})")
    return [Row.unavailable(bench.name, "—", size, reason)]


def _compile_sources() -> None:
    """Write the bytecode of goaltui and goalsync, as a pip install does.

    With PYTHONDONTWRITEBYTECODE set (as on some machines) an editable checkout
    never gets .pyc files, and every measured process would recompile its modules.
    """
    import compileall

    root = Path(__file__).resolve().parent.parent
    for folder in (root / "src", root / "sync"):
        compileall.compile_dir(folder, quiet=1)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        import goaltui  # noqa: F401
    except ImportError as exc:
        print(
            f"error: cannot import goaltui ({exc}); run with the project's Python, "
            "e.g. .venv/bin/python benchmarks/run.py",
            file=sys.stderr,
        )
        return 2
    sizes = args.sizes or _sizes(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 5)
    if repeat < 1:
        print("error: --repeat must be at least 1", file=sys.stderr)
        return 2
    ctx = Context(
        out_dir=args.out.resolve(),
        repeat=repeat,
        quick=args.quick,
        fresh=args.fresh,
        build=args.build,
    )
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    _compile_sources()
    print("## goaltui benchmarks\n")
    print(_environment(ctx) + "\n", flush=True)
    for bench in _selected(args.only):
        rows = [row for size in sizes for row in _run_one(bench, ctx, size)]
        print(format_table(bench.name, rows), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
