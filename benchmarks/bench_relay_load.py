"""The relay under load from stock JS automerge-repo clients (``loadgen/load.mjs``).

The same load generator runs against the goaltui relay and the official sync server,
one after the other, in this run. It does not depend on the workspace size, so it
runs once per invocation (at the first size).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import Benchmark, Context, Row, Unavailable, log
from benchmarks.sync_servers import OfficialServer, RelayProcess, ServerProcess

__all__ = ["BENCHMARKS", "LoadConfig", "run_load"]

NAME = "relay load (JS clients)"
LOADGEN = Path(__file__).resolve().parent / "loadgen" / "load.mjs"
DRAIN = 15  # seconds allowed after the load phase for the last deliveries


@dataclass(frozen=True)
class LoadConfig:
    """C clients on D documents, each making R edits per second for T seconds (after an
    unmeasured warm-up of the same load, see benchmarks/README.md)."""

    clients: int
    docs: int
    rate: float
    seconds: int
    warmup: int = 5

    @property
    def label(self) -> str:
        return f"C={self.clients} D={self.docs} R={self.rate:g} T={self.seconds}s"

    def argv(self) -> list[str]:
        return ["--clients", str(self.clients), "--docs", str(self.docs),
                "--rate", str(self.rate), "--seconds", str(self.seconds),
                "--warmup", str(self.warmup)]  # fmt: skip


CONFIGS = [LoadConfig(120, 30, 1, 60), LoadConfig(50, 10, 5, 60), LoadConfig(200, 50, 1, 20)]
QUICK_CONFIGS = [LoadConfig(6, 2, 2, 3, warmup=1)]
_done: set[int] = set()  # contexts that already ran it


def run_load(server: ServerProcess, config: LoadConfig) -> dict[str, Any]:
    """Run the load generator against ``server``; its JSON result."""
    if not shutil.which("node"):
        raise Unavailable("node is not installed")
    argv = ["node", str(LOADGEN), "--url", server.client_url, "--pid", str(server.pid)]
    argv += [*config.argv(), "--drain", str(DRAIN)]
    timeout = config.seconds + config.warmup + DRAIN + 180
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"the load generator took over {timeout} s") from None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()] or ["no output"]
        raise Unavailable(f"load generator failed: {lines[0][:160]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _one(ctx: Context, kind: str, config: LoadConfig) -> dict[str, Any] | str:
    """The result against one server, or why it is not available."""
    cls = RelayProcess if kind == "goaltui relay" else OfficialServer
    log(f"{NAME}: {config.label} against the {kind}")
    try:
        with cls(ctx.scratch(f"load-{kind[:4]}")) as server:
            server.start()
            return run_load(server, config)
    except Unavailable as exc:
        return str(exc)


def _summary(r: dict[str, Any]) -> str:
    lag = r["loadgen_lag_p99_ms"]
    return (f"{r['delivered']}/{r['expected']} delivered, {r['missing']} missing, "
            f"{r['dropped_clients']} dropped, {r['edit_errors']} edits refused by the client; "
            f"loadgen lag p99 {lag:.0f} ms, CPU {r['loadgen_cpu_s']:.1f} s")  # fmt: skip


def _rows(size: int, config: LoadConfig, ours: dict[str, Any], theirs: Any) -> list[Row]:
    other = theirs if isinstance(theirs, dict) else None
    against = "official server" if other else ""
    na = "" if other else f"official server n/a: {theirs}"

    def row(label: str, value: Any, unit: str = "s", scale: float = 1e-3, note: str = "") -> Row:
        def get(r: dict[str, Any] | None) -> list[float]:
            v = value(r) if r else None
            return [] if v is None else [float(v) * scale]

        return Row(NAME, f"{config.label}: {label}", size, get(ours), unit, against,
                   get(other), "; ".join(n for n in (note, na) if n))  # fmt: skip

    their_note = f"official: {_summary(other)}" if other else ""
    return [
        row("latency p50 from the edit", lambda r: r["latency_ms"]["p50"],
            note=f"goaltui: {_summary(ours)}; {their_note}"),
        row("latency p99 from the edit", lambda r: r["latency_ms"]["p99"],
            note="includes the JS client's own 100 ms send throttle"),
        row("latency p50 from the sender's frame", lambda r: r["frame_latency_ms"]["p50"]),
        row("latency p99 from the sender's frame", lambda r: r["frame_latency_ms"]["p99"]),
        row("client hold p99 (edit to the sender's frame)", lambda r: r["client_hold_ms"]["p99"],
            note="inside the sending JS client, before any server sees the edit"),
        row("server CPU per delivered edit", lambda r: r["server_cpu_ms_per_delivery"]),
        row("server RSS (max)", lambda r: r["server_rss_max_bytes"], "B", 1.0),
    ]  # fmt: skip


def run(ctx: Context, size: int) -> list[Row]:
    """Every configuration against both servers (once per run of the harness)."""
    if id(ctx) in _done:
        return []
    _done.add(id(ctx))
    rows: list[Row] = []
    for config in QUICK_CONFIGS if ctx.quick else CONFIGS:
        ours = _one(ctx, "goaltui relay", config)
        if isinstance(ours, str):
            rows.append(Row.unavailable(NAME, config.label, size, ours))
            continue
        theirs = _one(ctx, "official server", config)
        rows += _rows(size, config, ours, theirs)
    return rows


BENCHMARKS = [Benchmark(NAME, run)]
