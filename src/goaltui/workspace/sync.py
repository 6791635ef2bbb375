"""Syncing an open Workspace with a relay or a peer (automerge-repo protocol).

The workspace's own document is handed to goalsync's engine (``DocSync.adopt``),
so a sync never loads the document a second time; changes that arrive are
stored durably by the engine, then mirrored and checked for conflicts here.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

from goalsync.repo.client import SocketFactory, SyncClient, SyncSummary
from goalsync.repo.docsync import DocSync
from goalsync.storage import DocumentStore, FileChunkStore
from goalsync.transport.ssh import ssh_transport
from goaltui.errors import GoaltuiError
from goaltui.paths import WorkspacePaths
from goaltui.workspace.core import Workspace, WorkspaceChange

__all__ = ["DiskWatch", "SyncFailed", "fetch", "sync_once", "watch"]

POLL_SECONDS = 0.5  # a full refresh at least this often (coarse file-system timestamps)
STAT_SECONDS = 0.02  # how often the storage directories are stat'ed for another process's edit


class DiskWatch:
    """Notices chunks other processes store, by the storage directories' modification times.

    An edit made by the TUI's engine or a CLI command reaches ``sync --watch`` through
    the disk. Listing the directories on every poll would cost a little; a ``stat`` of the
    two directories a chunk can land in costs microseconds, so it can run every 20 ms and
    an edit is pushed within that instead of within the 0.5 s full refresh.
    """

    def __init__(self, ws: Workspace) -> None:
        chunks = getattr(ws._store, "chunks", None)
        path_of = getattr(chunks, "path_of", None)
        kinds = ("incremental", "snapshot")
        self._dirs = [path_of((ws.doc_id, kind)) for kind in kinds] if path_of else []
        self._seen = self._stamp()

    def _stamp(self) -> tuple[int | None, ...]:
        stamps: list[int | None] = []
        for path in self._dirs:
            try:
                stamps.append(os.stat(path).st_mtime_ns)
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def changed(self) -> bool:
        """True if a storage directory changed since the last call (or construction)."""
        stamp = self._stamp()
        if stamp == self._seen:
            return False
        self._seen = stamp
        return True


class SyncFailed(GoaltuiError):
    """The relay or peer could not be reached, refused us, or did not have the workspace."""

    title = "Sync failed"


def _engine(ws: Workspace) -> DocSync:
    return DocSync.adopt(ws.doc_id, ws._store, ws._doc, ws._known)


def _client(
    ws: Workspace,
    engine: DocSync,
    url: str,
    token: str | None,
    connect_socket: SocketFactory | None,
    *,
    on_change: Callable[[str, object], None] | None = None,
) -> SyncClient:
    """A client syncing the open workspace's own document (no second load)."""
    return SyncClient(
        url,
        ws._store,
        [],
        token=token,
        docs={ws.doc_id: engine},
        on_change=on_change,
        connect_socket=connect_socket,
    )


def _settle(ws: Workspace, engine: DocSync, before: list[bytes]) -> WorkspaceChange | None:
    """After the engine applied remote changes: mirror them, find conflicts."""
    if engine.doc is not ws._doc:  # the engine reloaded after a failed apply
        ws._load()
        ws._mirror_rebuild()
        return None
    if ws._doc.get_heads() == before:
        return None
    return ws.absorb(before, origin="sync")


async def sync_once(
    ws: Workspace, url: str, token: str | None, *, timeout: float = 60.0
) -> tuple[SyncSummary, int]:
    """Sync until both sides agree; returns the summary and how many conflicts were found."""
    from goalsync.repo.client import SyncError

    ws.refresh()
    engine = _engine(ws)
    before = ws._doc.get_heads()
    try:
        async with ssh_transport(url) as connect_socket:  # None unless url is ssh://
            client = _client(ws, engine, url, token, connect_socket)
            summary = await client.sync_once(timeout=timeout)
    except SyncError as exc:
        raise SyncFailed(str(exc)) from None
    change = _settle(ws, engine, before)
    if ws.doc_id in summary.rejected:
        raise SyncFailed(f"{url}: {summary.rejected[ws.doc_id]}")
    return summary, change.conflicts if change else 0


async def watch(
    ws: Workspace,
    url: str,
    token: str | None,
    *,
    stop: asyncio.Event | None = None,
    report: Callable[[str], None] = lambda line: None,
) -> None:
    """Stay connected: push local edits (this or other processes'), apply remote ones."""
    from goalsync.repo.client import SyncRefused

    stop = stop or asyncio.Event()
    engine = _engine(ws)
    last = ws._doc.get_heads()

    def remote_changed(_doc_id: str, _heads: object) -> None:
        nonlocal last
        change = _settle(ws, engine, last)
        last = ws._doc.get_heads()
        if change is not None:
            report(
                f"received changes to {len(change.records)} record(s)"
                + (f"; {change.conflicts} conflict(s)" if change.conflicts else "")
            )

    transport = ssh_transport(url)  # ssh processes, reaped when the watch ends
    try:
        connect_socket = await transport.__aenter__()
    except SyncRefused as exc:
        raise SyncFailed(str(exc)) from None
    client = _client(ws, engine, url, token, connect_socket, on_change=remote_changed)
    client.status.subscribe(
        lambda state, detail: report(f"{state.value}{': ' + detail if detail else ''}")
    )
    runner = asyncio.ensure_future(client.run(stop))
    disk = DiskWatch(ws)
    refreshed = time.monotonic()
    try:
        while not runner.done():
            await asyncio.wait({runner}, timeout=STAT_SECONDS)
            if not disk.changed() and time.monotonic() - refreshed < POLL_SECONDS:
                continue
            refreshed = time.monotonic()
            if ws.refresh():
                last = ws._doc.get_heads()
                engine.mark_saved()
                await client.local_changed(ws.doc_id)
    finally:
        stop.set()
        try:
            await runner
        except SyncRefused as exc:
            raise SyncFailed(str(exc)) from None
        finally:
            await transport.__aexit__(None, None, None)


async def fetch(
    paths: WorkspacePaths, url: str, token: str | None, *, timeout: float = 60.0
) -> None:
    """Bring a shared workspace's document into a freshly attached workspace."""
    from goalsync.repo.client import SyncError
    from goaltui.workspace.config import WorkspaceConfig

    doc_id = WorkspaceConfig.load(paths.config).document_id
    store = DocumentStore(FileChunkStore(paths.repo))
    try:
        async with ssh_transport(url) as connect_socket:  # None unless url is ssh://
            client = SyncClient(url, store, [doc_id], token=token, connect_socket=connect_socket)
            summary = await client.sync_once(timeout=timeout)
    except SyncError as exc:
        raise SyncFailed(str(exc)) from None
    if doc_id in summary.unavailable or not store.exists(doc_id):
        raise SyncFailed(
            f"{url} does not have that workspace (or this token may not read it); "
            "check the automerge: URL with whoever shared it"
        )
