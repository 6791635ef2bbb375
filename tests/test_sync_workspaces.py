"""Workspaces on different devices converge through a real relay on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from goalsync.relay.server import Relay
from goalsync.storage import DocumentStore, FileChunkStore
from goaltui.errors import GoaltuiError
from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace
from goaltui.workspace.sync import SyncFailed, fetch, sync_once, watch


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[Relay]:
    server = Relay(DocumentStore(FileChunkStore(tmp_path / "relay")), host="127.0.0.1", port=0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def _device(tmp_path: Path, name: str) -> WorkspacePaths:
    return WorkspacePaths(tmp_path / name, "team")


async def _join(paths: WorkspacePaths, doc_id: str, url: str) -> Workspace:
    Workspace.attach(paths, doc_id)
    await fetch(paths, url, None)
    return Workspace.open(paths)


async def test_three_devices_converge_with_offline_edits(tmp_path: Path, relay: Relay) -> None:
    a = Workspace.create(_device(tmp_path, "a"))
    goal = a.add_goal("Launch in Spain", description="Spain first.")
    await sync_once(a, relay.url, None)
    b = await _join(_device(tmp_path, "b"), a.doc_id, relay.url)
    c = await _join(_device(tmp_path, "c"), a.doc_id, relay.url)
    assert b.get(goal).title == "Launch in Spain"
    # offline edits on all three, to different fields and to the text
    a.edit(goal, {"status": "active"})
    b.edit(goal, {"due": "2027-06-30", "description": "Spain first. Then Portugal."})
    c.add_kpi(goal, "Spanish signups", target=1000)
    for ws in (a, b, c, a, b):
        await sync_once(ws, relay.url, None)
    states = [json.dumps(ws.export_json()["goals"], sort_keys=True) for ws in (a, b, c)]
    assert states[0] == states[1] == states[2]
    final = a.get(goal)
    assert (final.status, final.due) == ("active", "2027-06-30")
    assert final.description == "Spain first. Then Portugal."
    assert [k.name for k in a.records("kpis")] == ["Spanish signups"]
    # the mirror of each device saw the merge
    for ws in (a, b, c):
        from goaltui.mirror.read import MirrorReader

        with MirrorReader(ws.paths.mirror) as reader:
            assert reader.get(goal)[1]["due"] == "2027-06-30"  # type: ignore[index]
    for ws in (a, b, c):
        ws.close()


async def test_concurrent_edits_of_one_field_are_listed_then_resolved(
    tmp_path: Path, relay: Relay
) -> None:
    a = Workspace.create(_device(tmp_path, "a"))
    a.set_me(a.add_person("Ana"))
    goal = a.add_goal("Grow revenue")
    await sync_once(a, relay.url, None)
    b = await _join(_device(tmp_path, "b"), a.doc_id, relay.url)
    b.set_me(b.add_person("Ben"))
    await sync_once(b, relay.url, None)
    await sync_once(a, relay.url, None)
    a.edit(goal, {"title": "Grow revenue to 2M"})
    b.edit(goal, {"title": "Grow revenue in the EU"})
    await sync_once(a, relay.url, None)
    _, found = await sync_once(b, relay.url, None)
    assert found == 1
    [conflict] = b.conflicts()
    assert (conflict.record, conflict.field) == (goal, "title")
    assert {(v.value, v.who) for v in conflict.values} == {
        ("Grow revenue to 2M", "Ana"),
        ("Grow revenue in the EU", "Ben"),
    }
    _, found_a = await sync_once(a, relay.url, None)
    assert found_a == 1 and len(a.conflicts()) == 1  # the other side sees it too
    b.resolve_conflict(conflict.id[-8:], "Grow EU revenue to 2M")
    assert b.conflicts() == []
    await sync_once(b, relay.url, None)
    await sync_once(a, relay.url, None)
    assert a.get(goal).title == "Grow EU revenue to 2M"
    a.close()
    b.close()


async def test_watch_pushes_edits_from_other_processes_and_pulls_remote_ones(
    tmp_path: Path, relay: Relay
) -> None:
    a = Workspace.create(_device(tmp_path, "a"))
    await sync_once(a, relay.url, None)
    b = await _join(_device(tmp_path, "b"), a.doc_id, relay.url)
    stop = asyncio.Event()
    watcher = asyncio.ensure_future(watch(a, relay.url, None, stop=stop))
    try:
        # an edit by another process on device a's directory reaches device b
        other = Workspace.open(a.paths)
        goal = other.add_goal("Written by a second process")
        other.close()

        async def arrives() -> None:
            while b.find("goals", goal) is None:
                await sync_once(b, relay.url, None)
                await asyncio.sleep(0.05)

        await asyncio.wait_for(arrives(), 15)
        # and an edit from b arrives in a while it watches
        kpi = b.add_kpi(goal, "Signups", target=10)
        await sync_once(b, relay.url, None)

        async def pulled() -> None:
            while a.find("kpis", kpi) is None:
                await asyncio.sleep(0.05)

        await asyncio.wait_for(pulled(), 15)
    finally:
        stop.set()
        await watcher
        a.close()
        b.close()


async def test_joining_an_unknown_workspace_fails_clearly(tmp_path: Path, relay: Relay) -> None:
    from goalsync.protocol.docid import new_document_id

    paths = _device(tmp_path, "x")
    Workspace.attach(paths, new_document_id())
    with pytest.raises(SyncFailed, match="does not have that workspace"):
        await fetch(paths, relay.url, None, timeout=10)


async def test_unreachable_relay_is_a_clear_error(tmp_path: Path) -> None:
    a = Workspace.create(_device(tmp_path, "a"))
    with pytest.raises(GoaltuiError):
        await sync_once(a, "ws://127.0.0.1:9", None, timeout=5)
    a.close()


async def test_another_teams_token_cannot_read_or_overwrite_a_workspace(tmp_path: Path) -> None:
    from goalsync.relay import TokenStore
    from helpers.relay_peers import team_relay

    relay = team_relay(tmp_path / "relay")
    tokens = TokenStore(tmp_path / "relay" / "relay")
    ours, theirs = tokens.add("ana-laptop", "product"), tokens.add("eve-laptop", "ops")
    await relay.start()
    try:
        a = Workspace.create(_device(tmp_path, "a"))
        a.add_goal("Confidential plan")
        await sync_once(a, relay.url, ours)
        paths = _device(tmp_path, "eve")
        Workspace.attach(paths, a.doc_id)
        with pytest.raises(SyncFailed, match="does not have that workspace"):
            await fetch(paths, relay.url, theirs, timeout=10)
        # a device of the other team holding the same document id is refused, not hung
        other = Workspace.create(_device(tmp_path, "x"), document_id=a.doc_id)
        other.add_goal("Overwrite attempt")
        with pytest.raises(SyncFailed, match="refused"):
            await sync_once(other, relay.url, theirs, timeout=10)
        other.close()
        a.close()
    finally:
        await relay.stop()


def test_disk_watch_notices_a_chunk_another_process_stores(tmp_path: Path) -> None:
    """``sync --watch`` learns of another process's edit from a stat, not a listing."""
    import os

    from goaltui.workspace.sync import DiskWatch

    paths = _device(tmp_path, "a")
    with Workspace.create(paths) as ws:
        incremental = FileChunkStore(paths.repo).path_of((ws.doc_id, "incremental"))
        os.utime(incremental, ns=(0, 0))  # so that any later write moves the time
        disk = DiskWatch(ws)
        assert not disk.changed()
        with Workspace.open(paths) as other:
            goal = other.add_goal("Written by a second process")
        assert disk.changed()
        assert not disk.changed()  # reported once
        assert ws.refresh() and ws.find("goals", goal) is not None
