"""The engine process, driven through the real client over real pipes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from goaltui.engine.client import EngineClient
from goaltui.errors import NotFound, WorkspaceNotFound
from goaltui.mirror.read import MirrorReader
from goaltui.model.validate import ValidationError
from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace


async def _wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def test_edits_go_through_the_engine_into_document_and_mirror(
    ws_paths: WorkspacePaths,
) -> None:
    Workspace.create(ws_paths).close()
    client = await EngineClient.start(ws_paths)
    changes: list[dict[str, Any]] = []
    client.on_change(changes.append)
    try:
        gid = await client.call("add", kind="goal", fields={"title": "Via engine"})
        assert changes[-1]["action"] == "add goal" and changes[-1]["records"] == [["goals", gid]]
        await client.call("edit", record_id=gid, fields={"status": "active"})
        reader = MirrorReader(ws_paths.mirror)
        assert reader.get(gid)[1]["status"] == "active"  # type: ignore[index]
        reader.close()
        assert await client.call("undo") == "edited goal Via engine"
        history = await client.call("history", record_id=gid)
        assert [h["action"] for h in history] == ["add goal", "edit goal", "undo"]
    finally:
        await client.close()
    with Workspace.open(ws_paths) as ws:
        assert ws.get(gid).status is None


async def test_errors_come_back_as_the_same_exceptions(ws_paths: WorkspacePaths) -> None:
    Workspace.create(ws_paths).close()
    client = await EngineClient.start(ws_paths)
    try:
        with pytest.raises(ValidationError) as err:
            await client.call("add", kind="goal", fields={"title": "X", "due": "someday"})
        assert [p.field for p in err.value.problems] == ["due"]
        with pytest.raises(NotFound):
            await client.call("edit", record_id="01NOPE", fields={"title": "Y"})
        assert await client.call("add", kind="goal", fields={"title": "still works"})
    finally:
        await client.close()


async def test_edits_by_another_process_are_announced(ws_paths: WorkspacePaths) -> None:
    Workspace.create(ws_paths).close()
    client = await EngineClient.start(ws_paths)
    changes: list[dict[str, Any]] = []
    client.on_change(changes.append)
    try:
        with Workspace.open(ws_paths) as other:
            gid = other.add_goal("From another process")
        await _wait_for(lambda: any(["goals", gid] in c["records"] for c in changes))
        assert changes[-1]["origin"] == "disk"
        reader = MirrorReader(ws_paths.mirror)
        assert reader.get(gid)[1]["title"] == "From another process"  # type: ignore[index]
        reader.close()
    finally:
        await client.close()


async def test_missing_workspace_fails_to_start_with_a_clear_error(data_dir) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WorkspaceNotFound, match="goaltui init"):
        await EngineClient.start(WorkspacePaths(data_dir, "nope"))
