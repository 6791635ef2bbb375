"""The byte-level storage interface (like automerge-repo's StorageAdapterInterface).

Two implementations: :class:`FileChunkStore` (nodefs layout on disk, the real one) and
:class:`MemoryChunkStore` (tests). Both also offer ``create`` (save if absent),
``quarantine`` (move a bad chunk aside) and ``exclusive`` (a named lock), which
:class:`~goalsync.storage.docstore.DocumentStore` uses when a store has them.
"""

from __future__ import annotations

from typing import Protocol

from goalsync.storage.filestore import FileChunkStore
from goalsync.storage.keys import StorageKey
from goalsync.storage.memstore import MemoryChunkStore

__all__ = ["ChunkStore", "FileChunkStore", "MemoryChunkStore", "StorageKey", "storage_id"]

STORAGE_ID_KEY: StorageKey = ("storage-adapter-id",)


class ChunkStore(Protocol):
    """Bytes under tuple keys. ``save`` is durable when it returns."""

    def load(self, key: StorageKey) -> bytes | None: ...

    def save(self, key: StorageKey, data: bytes) -> None: ...

    def remove(self, key: StorageKey) -> None: ...

    def load_range(self, prefix: StorageKey) -> list[tuple[StorageKey, bytes]]: ...

    def list_range(self, prefix: StorageKey) -> list[StorageKey]: ...

    def remove_range(self, prefix: StorageKey) -> None: ...


def storage_id(store: ChunkStore) -> str:
    """This store's id (UUIDv4 text under ``("storage-adapter-id",)``), created once.

    automerge-repo peers advertise it as their ``storageId``; it must never change,
    so a store that offers ``create`` gets it without a race between processes.
    """
    existing = store.load(STORAGE_ID_KEY)
    if existing is not None:
        return existing.decode("utf-8", errors="replace").strip()
    import uuid  # only the first time a store is used

    fresh = str(uuid.uuid4())
    create = getattr(store, "create", None)
    if create is None:
        store.save(STORAGE_ID_KEY, fresh.encode())
        return fresh
    if create(STORAGE_ID_KEY, fresh.encode()):
        return fresh
    winner = store.load(STORAGE_ID_KEY)
    return winner.decode("utf-8", errors="replace").strip() if winner else fresh
