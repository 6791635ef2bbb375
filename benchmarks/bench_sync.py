"""Sync over loopback: first replication, catching up, and one edit's latency.

Every server is a real process (``sync_servers``); the client is goaltui's own sync
(``goaltui.workspace.sync`` and goalsync's ``SyncClient``, the path ``goaltui sync``
takes), in this process. Bytes are the WebSocket frame bytes the client counted, both
directions. The official JS sync server gets the same treatment in the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import Benchmark, Context, Row, Unavailable, log
from benchmarks.sync_servers import OfficialServer, RelayProcess, ServerProcess, cpu_seconds
from benchmarks.wire import WireCount, counted

__all__ = ["BENCHMARKS"]

PUSH = "sync: first replication"
LIVE = "sync: catch-up and latency"
EDITS = 10  # remote edits to catch up on
LATENCY_RUNS = 30
QUICK_LATENCY_RUNS = 3
WAIT = 120.0  # seconds: any single wait longer than this is a failure, not a measurement
SETTLE = 0.1  # seconds after arrival during which the acknowledgement is still counted

ServerFactory = Callable[[Path], ServerProcess]
SERVERS: dict[str, ServerFactory] = {
    "goaltui relay": lambda d: RelayProcess(d).start(),
    "official server": lambda d: OfficialServer(d).start(),
}


def _copy_workspace(ctx: Context, size: int, name: str) -> Any:
    """A throwaway copy of the generated workspace; returns its WorkspacePaths."""
    from goaltui.paths import WorkspacePaths

    generated = ctx.workspace(size)
    copy = ctx.scratch(name)
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(generated.paths.data_dir, copy)
    return WorkspacePaths(copy, generated.paths.name)


def _start(kind: str, ctx: Context, tag: str) -> ServerProcess:
    return SERVERS[kind](ctx.scratch(f"server-{tag}"))


# -- 1. first replication ------------------------------------------------------------


@dataclass
class PushResult:
    """One push: wall seconds, bytes on the wire, and the CPU seconds of each side."""

    wall: float
    nbytes: int
    client_cpu: float
    server_cpu: float


def _push_once(ws: Any, server: ServerProcess) -> PushResult:
    server_cpu = cpu_seconds(server.pid)
    cpu = time.process_time()
    start = time.perf_counter()
    summary, nbytes = asyncio.run(_counted_sync(ws, server))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    server_cpu = cpu_seconds(server.pid) - server_cpu
    if summary.synced != [ws.doc_id]:
        raise Unavailable(f"the push to {server.name} did not complete: {summary}")
    return PushResult(elapsed, nbytes, cpu, server_cpu)


async def _counted_sync(ws: Any, server: ServerProcess) -> tuple[Any, int]:
    """``sync_once`` through a byte-counting proxy: its summary and the bytes on the wire."""
    from goaltui.workspace.sync import sync_once

    async with counted(server.url) as (url, wire):
        summary, _ = await sync_once(ws, url, server.token, timeout=WAIT)
    return summary, wire.total


def run_push(ctx: Context, size: int) -> list[Row]:
    """Push a workspace to a fresh server, goaltui relay and official server interleaved."""
    from goaltui.workspace import Workspace

    paths = _copy_workspace(ctx, size, f"sync-push-{size}")
    results: dict[str, list[PushResult]] = {k: [] for k in SERVERS}
    missing: dict[str, str] = {}
    ws = Workspace.open(paths)
    try:
        for run in range(ctx.repeat):
            for kind in SERVERS:
                if kind in missing:
                    continue
                log(f"{PUSH} at {size}: run {run + 1}, {kind}")
                try:
                    with _start(kind, ctx, f"push-{kind[:4]}") as server:
                        results[kind].append(_push_once(ws, server))
                except Unavailable as exc:
                    missing[kind] = str(exc)
    finally:
        ws.close()
        shutil.rmtree(paths.data_dir, ignore_errors=True)
    if "goaltui relay" in missing:
        raise Unavailable(missing["goaltui relay"])
    theirs = "official server" if "official server" not in missing else ""
    note = f"official server n/a: {missing['official server']}" if not theirs else ""

    def row(label: str, pick: Callable[[PushResult], float], unit: str = "s") -> Row:
        ours = [pick(r) for r in results["goaltui relay"]]
        their = [pick(r) for r in results["official server"]]
        return Row(PUSH, label, size, ours, unit, theirs, their, note)

    return [
        row("push to a fresh goaltui relay: wall time", lambda r: r.wall),
        row("push to a fresh goaltui relay: bytes on the wire", lambda r: r.nbytes, "B"),
        row("push: client CPU (goaltui sync)", lambda r: r.client_cpu),
        row("push: server CPU (relay process)", lambda r: r.server_cpu),
    ]


# -- 2 and 3. live peers -------------------------------------------------------------


@dataclass
class LivePeer:
    """An open workspace kept in sync like ``goaltui sync --watch``, without its polling."""

    ws: Any
    client: Any
    engine: Any
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    wire: WireCount | None = None

    @classmethod
    def connect(
        cls, ws: Any, server: ServerProcess, url: str = "", wire: WireCount | None = None
    ) -> LivePeer:
        """Connect ``ws`` to ``server`` (through ``url``, a counting proxy, if given)."""
        from goalsync.repo.client import SyncClient
        from goalsync.repo.docsync import DocSync

        engine = DocSync.adopt(ws.doc_id, ws._store, ws._doc, ws._known)
        last = [ws._doc.get_heads()]
        peer: LivePeer

        def remote_changed(_doc_id: str, _heads: object) -> None:
            ws.absorb(last[0], origin="sync")  # mirror it, find conflicts: what the app does
            last[0] = ws._doc.get_heads()
            peer.arrived.set()

        client = SyncClient(
            url or server.url,
            ws._store,
            [],
            token=server.token,
            docs={ws.doc_id: engine},
            on_change=remote_changed,
        )
        peer = cls(ws, client, engine, wire=wire)
        peer.task = asyncio.ensure_future(client.run(peer.stop))
        return peer

    @property
    def wire_bytes(self) -> int:
        """Bytes on the wire both ways (through the proxy; else the messages' own sizes)."""
        if self.wire is not None:
            return self.wire.total
        return int(self.client.summary.bytes_in + self.client.summary.bytes_out)

    def heads(self) -> set[bytes]:
        return set(self.ws._doc.get_heads())

    async def synced(self) -> None:
        from goalsync.repo.status import SyncStatus

        await self.client.status.wait_for(SyncStatus.synced, timeout=WAIT)

    def edit(self, goals: list[str], count: int, serial: int) -> set[bytes]:
        """``count`` goal edits, stored durably as the app does; returns the new heads."""
        for i in range(count):
            self.ws.edit(goals[(serial + i) % len(goals)], {"title": f"Live edit {serial}.{i}"})
        self.engine.mark_saved()
        return self.heads()

    async def push(self) -> None:
        """Offer the stored edits to the server (what ``goaltui sync --watch`` does)."""
        await self.client.local_changed(self.ws.doc_id)

    async def edit_and_push(self, goals: list[str], count: int, serial: int) -> set[bytes]:
        heads = self.edit(goals, count, serial)
        await self.push()
        return heads

    async def until_has(self, heads: set[bytes]) -> None:
        async with asyncio.timeout(WAIT):
            while not heads <= self.heads():
                self.arrived.clear()
                await self.arrived.wait()

    async def close(self) -> None:
        self.stop.set()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await self.task


async def _catch_up(a: LivePeer, b: LivePeer, goals: list[str], serial: int) -> tuple[float, int]:
    """B makes ``EDITS`` edits; from B's push, time and A's bytes until A has them all.

    The edits themselves (B's transactions, fsyncs and mirror) are not counted: that is
    the cost of editing (bench_edit), not of catching up.
    """
    await a.synced()
    await b.synced()
    before = a.wire_bytes
    target = b.edit(goals, EDITS, serial)
    start = time.perf_counter()
    await b.push()
    await a.until_has(target)
    elapsed = time.perf_counter() - start
    await asyncio.sleep(SETTLE)  # A's acknowledgement belongs to the catch-up too
    return elapsed, a.wire_bytes - before


async def _latency(a: LivePeer, b: LivePeer, goals: list[str], serial: int) -> float:
    await a.synced()
    await b.synced()
    await asyncio.sleep(0.01)
    b.ws.edit(goals[serial % len(goals)], {"title": f"Latency probe {serial}"})
    b.engine.mark_saved()
    target = b.heads()
    start = time.perf_counter()
    await b.client.local_changed(b.ws.doc_id)
    await a.until_has(target)
    return time.perf_counter() - start


async def _restart(
    paths_a: Any, b: LivePeer, server: ServerProcess, goals: list[str], serial: int
) -> tuple[float, float, int]:
    """A is offline; B makes ``EDITS`` edits; A opens its workspace, then syncs once."""
    from goaltui.workspace import Workspace

    await b.synced()
    await b.edit_and_push(goals, EDITS, serial)
    await asyncio.sleep(SETTLE)
    await b.synced()
    start = time.perf_counter()
    ws = Workspace.open(paths_a)
    loaded = time.perf_counter() - start
    try:
        start = time.perf_counter()
        _, nbytes = await _counted_sync(ws, server)
        elapsed = time.perf_counter() - start
    finally:
        ws.close()
    return loaded, elapsed, nbytes


async def _live(ctx: Context, size: int, kind: str) -> dict[str, list[float]]:
    from goaltui.workspace import Workspace
    from goaltui.workspace.sync import sync_once

    paths_a = _copy_workspace(ctx, size, f"sync-live-a-{size}")
    paths_b = _copy_workspace(ctx, size, f"sync-live-b-{size}")
    goals = ctx.workspace(size).goal_ids
    out: dict[str, list[float]] = {k: [] for k in ("live", "live_b", "lat", "load", "rs", "rb")}
    runs = QUICK_LATENCY_RUNS if ctx.quick else LATENCY_RUNS
    with _start(kind, ctx, f"live-{kind[:4]}") as server:
        ws_a, ws_b = Workspace.open(paths_a), Workspace.open(paths_b)
        try:
            await sync_once(ws_a, server.url, server.token, timeout=WAIT)
            a, b = LivePeer.connect(ws_a, server), LivePeer.connect(ws_b, server)
            try:
                for run in range(runs):
                    out["lat"].append(await _latency(a, b, goals, run))
                for run in range(ctx.repeat):
                    elapsed, _ = await _catch_up(a, b, goals, 1000 + run * EDITS)
                    out["live"].append(elapsed)
                await a.close()  # A again, through a proxy that counts its bytes on the wire
                async with counted(server.url) as (url, wire):
                    a = LivePeer.connect(ws_a, server, url, wire)
                    for run in range(ctx.repeat):
                        _, nbytes = await _catch_up(a, b, goals, 2000 + run * EDITS)
                        out["live_b"].append(nbytes)
                    await a.close()
                ws_a.close()
                for run in range(ctx.repeat):
                    loaded, elapsed, nbytes = await _restart(
                        paths_a, b, server, goals, 5000 + run * EDITS
                    )
                    out["load"].append(loaded)
                    out["rs"].append(elapsed)
                    out["rb"].append(nbytes)
            finally:
                await a.close()
                await b.close()
        finally:
            ws_a.close()
            ws_b.close()
            shutil.rmtree(paths_a.data_dir, ignore_errors=True)
            shutil.rmtree(paths_b.data_dir, ignore_errors=True)
    return out


def run_live(ctx: Context, size: int) -> list[Row]:
    """Catch-up while connected and after a restart, and one edit's latency, per server."""
    results: dict[str, dict[str, list[float]]] = {}
    notes: list[str] = []
    for kind in SERVERS:
        log(f"{LIVE} at {size}: {kind}")
        try:
            results[kind] = asyncio.run(_live(ctx, size, kind))
        except Unavailable as exc:
            if kind == "goaltui relay":
                raise
            notes.append(f"{kind} n/a: {exc}")
    ours = results["goaltui relay"]
    theirs = results.get("official server", {})
    against = "official server" if theirs else ""
    note = "; ".join(notes)

    def row(label: str, key: str, unit: str = "s", extra: str = "") -> Row:
        notes = "; ".join(n for n in (extra, note) if n)
        their = theirs.get(key, [])
        return Row(LIVE, label, size, ours[key], unit, against, their, notes)

    return [
        row("one edit reaching a connected client", "lat", extra="includes its mirror update"),
        row(f"catch-up on {EDITS} edits while connected: time", "live"),
        row(f"catch-up on {EDITS} edits while connected: bytes", "live_b", "B"),
        row("after a restart: client load (Workspace.open)", "load"),
        row(f"after a restart: sync of {EDITS} edits (time)", "rs"),
        row(f"after a restart: sync of {EDITS} edits (bytes)", "rb", "B"),
    ]


BENCHMARKS = [Benchmark(PUSH, run_push), Benchmark(LIVE, run_live)]
