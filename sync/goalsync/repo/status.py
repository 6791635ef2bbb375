"""The sync status a UI renders and tests await (offline → connecting → syncing → synced)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import Enum

__all__ = ["StatusTracker", "SyncStatus"]


class SyncStatus(str, Enum):
    """Where a sync connection stands."""

    offline = "offline"
    connecting = "connecting"
    syncing = "syncing"
    synced = "synced"
    error = "error"


Listener = Callable[[SyncStatus, "str | None"], None]


class StatusTracker:
    """The current :class:`SyncStatus`, with listeners and an awaitable ``wait_for``.

    Lets tests wait on a condition instead of sleeping, and lets a UI repaint on change.
    """

    def __init__(self) -> None:
        self.state = SyncStatus.offline
        self.detail: str | None = None
        self._waiters: list[tuple[frozenset[SyncStatus], asyncio.Future[SyncStatus]]] = []
        self._listeners: list[Listener] = []

    def set(self, state: SyncStatus, detail: str | None = None) -> None:
        """Move to ``state``; ``detail`` says why (an error message, a retry delay)."""
        if state is self.state and detail == self.detail:
            return
        self.state, self.detail = state, detail
        pending = []
        for states, future in self._waiters:
            if future.done():
                continue
            if state in states:
                future.set_result(state)
            else:
                pending.append((states, future))
        self._waiters = pending
        for listener in list(self._listeners):
            listener(state, detail)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(state, detail)`` on every change; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def wait_for(self, *states: SyncStatus, timeout: float | None = None) -> SyncStatus:
        """Wait until the status is one of ``states``; raises TimeoutError after ``timeout``.

        A state reached even briefly counts, so a quick synced → syncing is not missed.
        """
        if self.state in states:
            return self.state
        future: asyncio.Future[SyncStatus] = asyncio.get_running_loop().create_future()
        self._waiters.append((frozenset(states), future))
        return await asyncio.wait_for(future, timeout)
