"""The TUI's one door to a workspace: reads from the mirror, writes through the engine.

The UI process never loads the Automerge document when the engine is available:
:class:`Backend` reads the SQLite mirror with :class:`MirrorReader` and sends every
write to ``goaltui.engine`` (a child process that owns the document). Without the
engine (tests, or while it is not installed) a :class:`_DirectWriter` runs the same
operations on an in-process :class:`~goaltui.workspace.Workspace`, opened lazily on
the first write, with the same ``call(op, **kwargs)`` shape.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from goaltui.errors import GoaltuiError, StorageProblem
from goaltui.freshness import current_reader, fresh_reader
from goaltui.mirror.read import MirrorReader
from goaltui.paths import WorkspacePaths

__all__ = ["Backend", "Change"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """What changed in the workspace, after the mirror was updated."""

    action: str
    records: tuple[tuple[str, str], ...]
    origin: str  # "local", "disk" (another process) or "sync"
    everything: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        records = tuple((str(c), str(i)) for c, i in data.get("records") or ())
        return cls(
            str(data.get("action") or "change"),
            records,
            str(data.get("origin") or "local"),
            bool(data.get("everything")),
        )


ChangeCallback = Callable[[Change], None]


class _Writer(Protocol):
    async def call(self, op: str, **kwargs: Any) -> Any: ...
    def poll(self) -> None: ...
    async def close(self) -> None: ...


class Backend:
    """Mirror reads and engine writes for one workspace; shared by the app and its tests."""

    def __init__(self, paths: WorkspacePaths, reader: MirrorReader, writer: _Writer | None) -> None:
        self.paths = paths
        self.reader = reader
        self._writer = writer
        self._starting: asyncio.Task[_Writer] | None = None
        self._start: Callable[[], Awaitable[_Writer]] | None = None
        self._callbacks: list[ChangeCallback] = []

    @classmethod
    async def open(cls, paths: WorkspacePaths, *, engine: bool = True) -> Backend:
        """Open ``paths``: a mirror reader now, and a writer (the engine when it exists).

        When the mirror is already fresh the engine is started later, by
        :meth:`start_engine` (the app calls it after its first frame, so that the child
        loading the document does not compete with the first frame for the CPU); a
        write before that starts it and waits until it is ready.
        """
        holder: list[Backend] = []

        def emit(change: Change) -> None:
            holder[0]._emit(change)

        direct = _DirectWriter(paths, emit)
        if not engine or not _engine_available():
            backend = cls(paths, fresh_reader(paths, direct.workspace), direct)
            direct.seen(backend.reader.state())
            holder.append(backend)
            return backend
        reader = current_reader(paths)
        if reader is None:
            writer = await _start_engine(paths, emit)
            backend = cls(paths, fresh_reader(paths, direct.workspace), writer)
            holder.append(backend)
            return backend
        backend = cls(paths, reader, None)
        holder.append(backend)
        backend._start = functools.partial(_start_engine_later, paths, emit, reader.state())
        return backend

    @property
    def name(self) -> str:
        return self.paths.name

    @property
    def me(self) -> str | None:
        """The person id of this device's user (the workspace config's ``me``)."""
        from goaltui.workspace.config import WorkspaceConfig  # imports the workspace: lazily

        try:
            return WorkspaceConfig.load(self.paths.config).me
        except GoaltuiError:
            return None

    @property
    def uses_engine(self) -> bool:
        return self._writer is None or not isinstance(self._writer, _DirectWriter)

    def on_change(self, callback: ChangeCallback) -> None:
        """Call ``callback`` after every change (local, another process, sync)."""
        self._callbacks.append(callback)

    async def call(self, op: str, **kwargs: Any) -> Any:
        """Run one engine operation; errors arrive as ValidationError or GoaltuiError."""
        return await (await self._ready()).call(op, **kwargs)

    def start_engine(self) -> None:
        """Start the engine in the background if it is not running yet (idempotent)."""
        if self._writer is None and self._starting is None and self._start is not None:
            self._starting = asyncio.ensure_future(self._start())

    async def _ready(self) -> _Writer:
        if self._writer is None:
            self.start_engine()
            assert self._starting is not None
            self._writer = await self._starting
        return self._writer

    def poll(self) -> None:
        """Notice edits another process made (the engine does this by itself)."""
        if self._writer is not None:
            self._writer.poll()

    async def close(self) -> None:
        if self._writer is not None or self._starting is not None:
            await (await self._ready()).close()
        self.reader.close()

    def _emit(self, change: Change) -> None:
        for callback in list(self._callbacks):
            callback(change)


def _engine_available() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("goaltui.engine.client") is not None
    except ImportError:
        return False


async def _start_engine(paths: WorkspacePaths, emit: ChangeCallback) -> _Writer:
    from goaltui.engine.client import EngineClient

    client = await EngineClient.start(paths)
    return _EngineWriter(client, emit)


async def _start_engine_later(
    paths: WorkspacePaths, emit: ChangeCallback, read_in: str | None
) -> _Writer:
    """The engine, started after the screens read the mirror in state ``read_in``. If
    another process wrote meanwhile, the mirror moved without an event from the engine
    (it only reports its own changes after it is ready): the screens are told to re-read."""
    writer = await _start_engine(paths, emit)
    reader = MirrorReader(paths.mirror)
    try:
        moved = reader.state() != read_in
    finally:
        reader.close()
    if moved:
        emit(Change("merge", (), "disk", everything=True))
    return writer


class _EngineWriter:
    """Adapter over ``goaltui.engine.client.EngineClient``."""

    def __init__(self, client: Any, emit: ChangeCallback) -> None:
        self._client = client
        client.on_change(lambda data: emit(Change.from_dict(dict(data))))

    async def call(self, op: str, **kwargs: Any) -> Any:
        return await self._client.call(op, **kwargs)

    def poll(self) -> None:
        return None

    async def close(self) -> None:
        await self._client.close()


class _DirectWriter:
    """The engine's operations on an in-process Workspace (fallback and tests)."""

    def __init__(self, paths: WorkspacePaths, emit: ChangeCallback) -> None:
        self._paths = paths
        self._emit = emit
        self._ws: Any = None
        self._seen_state: str | None = None
        self._reader: MirrorReader | None = None

    def workspace(self) -> Any:
        if self._ws is None:
            from goaltui.workspace import Workspace

            self._ws = Workspace.open(self._paths)
            self._ws.subscribe(self._changed)
        return self._ws

    def _changed(self, change: Any) -> None:
        self._seen_state = self._mirror_state()
        self._emit(Change(change.action, tuple(change.records), change.origin, change.everything))

    def _mirror_state(self) -> str | None:
        if self._reader is None:
            if not self._paths.mirror.exists():
                return None
            self._reader = MirrorReader(self._paths.mirror)
        return self._reader.state()

    def seen(self, state: str | None) -> None:
        """The mirror state the UI has already shown."""
        self._seen_state = state

    def poll(self) -> None:
        state = self._mirror_state()
        if self._seen_state is None:
            self._seen_state = state
            return
        if state == self._seen_state:
            return
        self._seen_state = state
        if self._ws is not None and self._ws.refresh():
            return
        self._emit(Change("merge", (), "disk", everything=True))

    async def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
        if self._reader is not None:
            self._reader.close()

    async def call(self, op: str, **kwargs: Any) -> Any:
        """The engine's operations: Workspace methods of the same name, and ``history``."""
        ws = self.workspace()
        if op == "history":
            return self._history(ws, kwargs.get("record_id"), int(kwargs.get("limit", 50)))
        if op == "conflicts":
            return [c.to_json() for c in ws.conflicts()]
        if op == "resolve_conflict":
            found = ws.resolve_conflict(str(kwargs.get("conflict_id") or ""), kwargs.get("value"))
            return found.to_json()
        method = getattr(ws, op, None) if not op.startswith("_") else None
        if method is None or not callable(method):
            raise StorageProblem(f"unknown operation {op!r}")
        result = method(**kwargs)
        await asyncio.sleep(0)
        return result

    @staticmethod
    def _history(ws: Any, record_id: str | None, limit: int) -> list[dict[str, Any]]:
        entries = ws.history()
        if record_id is not None:
            entries = [e for e in entries if record_id in e.records]
        return [
            {"at": e.at, "who": e.author, "action": e.action, "summary": e.summary}
            for e in entries[-limit:]
        ]
