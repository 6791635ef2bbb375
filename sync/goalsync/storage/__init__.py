"""Durable, multi-process-safe document storage in automerge-repo's nodefs layout."""

from __future__ import annotations

from goalsync.storage.chunkstore import (
    ChunkStore,
    FileChunkStore,
    MemoryChunkStore,
    StorageKey,
    storage_id,
)
from goalsync.storage.docstore import DocumentStore, LoadedDocument

__all__ = [
    "ChunkStore",
    "DocumentStore",
    "FileChunkStore",
    "LoadedDocument",
    "MemoryChunkStore",
    "StorageKey",
    "storage_id",
]
