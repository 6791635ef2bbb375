"""The UI side of the engine: start it, call operations, hear about changes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Callable
from typing import Any

from goaltui.engine.wire import decode_error, encode
from goaltui.errors import GoaltuiError, StorageProblem
from goaltui.paths import WorkspacePaths

__all__ = ["EngineClient", "EngineStopped"]

ChangeCallback = Callable[[dict[str, Any]], None]


class EngineStopped(GoaltuiError):
    """The engine process ended; edits cannot be saved until it is restarted."""

    title = "Engine stopped"


class EngineClient:
    """A running engine process for one workspace (asyncio)."""

    def __init__(self, process: asyncio.subprocess.Process, ready: dict[str, Any]) -> None:
        self._process = process
        self.ready = ready
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._callbacks: list[ChangeCallback] = []
        self._reader = asyncio.ensure_future(self._read_loop())

    @classmethod
    async def start(cls, paths: WorkspacePaths, *, timeout: float = 60.0) -> EngineClient:
        """Spawn the engine and wait until the workspace is open in it."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "goaltui.engine",
            str(paths.data_dir),
            paths.name,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=1 << 24,
        )
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), timeout)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
            raise StorageProblem(
                f"the workspace engine did not start within {timeout:.0f} s"
            ) from None
        message = json.loads(line) if line else {}
        if message.get("event") != "ready":
            stderr = b""
            if process.stderr is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    stderr = await asyncio.wait_for(process.stderr.read(), 5)
            if process.stdin is not None:
                process.stdin.close()
            await process.wait()
            if message.get("event") == "failed":
                raise decode_error(message["error"])
            raise StorageProblem(
                "the workspace engine failed to start: "
                + (stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
            )
        return cls(process, message)

    @property
    def document_id(self) -> str:
        return str(self.ready.get("document_id"))

    @property
    def me(self) -> str | None:
        return self.ready.get("me")

    def on_change(self, callback: ChangeCallback) -> Callable[[], None]:
        """Call ``callback(change)`` after every change, once the mirror has it."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)

    async def call(self, op: str, **args: Any) -> Any:
        """Run one workspace operation in the engine; raises what the workspace raised."""
        if self._process.returncode is not None or self._process.stdin is None:
            raise EngineStopped("the workspace engine has stopped; restart goaltui")
        self._next_id += 1
        req_id = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[req_id] = future
        self._process.stdin.write(encode({"id": req_id, "op": op, "args": args}))
        await self._process.stdin.drain()
        return await future

    async def _read_loop(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        while True:
            line = await stdout.readline()
            if not line:
                break
            try:
                message = json.loads(line)
            except ValueError:
                continue
            self._dispatch(message)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(EngineStopped("the workspace engine stopped unexpectedly"))
        self._pending.clear()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            future = self._pending.pop(message["id"], None)
            if future is None or future.done():
                return
            if message.get("ok"):
                future.set_result(message.get("result"))
            else:
                future.set_exception(decode_error(message.get("error") or {}))
        elif message.get("event") == "changed":
            for callback in list(self._callbacks):
                callback(message)

    async def close(self) -> None:
        """Stop the engine (it compacts if worthwhile and closes the workspace)."""
        if self._process.stdin is not None and not self._process.stdin.is_closing():
            self._process.stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), 30)
        except asyncio.TimeoutError:
            self._process.kill()
            await self._process.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
