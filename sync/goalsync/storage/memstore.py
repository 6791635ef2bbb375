"""An in-memory ChunkStore with the same semantics as the file store, for tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from goalsync.storage.keys import StorageKey, check_key, check_prefix

__all__ = ["MemoryChunkStore"]


class MemoryChunkStore:
    """Chunks in a dict; thread-safe. Quarantined chunks are kept in ``quarantined``."""

    def __init__(self) -> None:
        self._data: dict[StorageKey, bytes] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self.quarantined: dict[StorageKey, bytes] = {}

    def load(self, key: StorageKey) -> bytes | None:
        check_key(key)
        with self._guard:
            return self._data.get(key)

    def save(self, key: StorageKey, data: bytes) -> None:
        check_key(key)
        with self._guard:
            self._data[key] = bytes(data)

    def create(self, key: StorageKey, data: bytes) -> bool:
        """Save only if ``key`` is absent; True if this call created it."""
        check_key(key)
        with self._guard:
            if key in self._data:
                return False
            self._data[key] = bytes(data)
            return True

    def remove(self, key: StorageKey) -> None:
        check_key(key)
        with self._guard:
            self._data.pop(key, None)

    def load_range(self, prefix: StorageKey) -> list[tuple[StorageKey, bytes]]:
        check_prefix(prefix)
        n = len(prefix)
        with self._guard:
            return sorted((k, v) for k, v in self._data.items() if k[:n] == prefix)

    def list_range(self, prefix: StorageKey) -> list[StorageKey]:
        return [k for k, _ in self.load_range(prefix)]

    def remove_range(self, prefix: StorageKey) -> None:
        check_prefix(prefix)
        n = len(prefix)
        with self._guard:
            for k in [k for k in self._data if k[:n] == prefix]:
                del self._data[k]

    def quarantine(self, key: StorageKey) -> str | None:
        """Move a chunk aside (never deleted); returns where it went, None if it vanished."""
        check_key(key)
        with self._guard:
            data = self._data.pop(key, None)
            if data is None:
                return None
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f".{time.time_ns()}"
            qkey = ("quarantine", *key[:-1], f"{key[-1]}.{stamp}")
            self.quarantined[qkey] = data
            return "/".join(qkey)

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Hold the named lock (process-local: this store lives in one process)."""
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            yield
