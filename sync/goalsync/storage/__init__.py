"""Durable, multi-process-safe document storage in automerge-repo's nodefs layout.

Names are imported lazily (PEP 562): a reader that only lists chunk names (a
freshness check) should not pay for importing the Automerge binding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from goalsync.lazy import lazy_getattr

__all__ = [
    "ChunkStore",
    "DocumentStore",
    "FileChunkStore",
    "LoadedDocument",
    "MemoryChunkStore",
    "StorageKey",
    "storage_id",
]

_WHERE = {
    "ChunkStore": "goalsync.storage.chunkstore",
    "FileChunkStore": "goalsync.storage.filestore",
    "MemoryChunkStore": "goalsync.storage.memstore",
    "StorageKey": "goalsync.storage.keys",
    "storage_id": "goalsync.storage.chunkstore",
    "DocumentStore": "goalsync.storage.docstore",
    "LoadedDocument": "goalsync.storage.docstore",
}

__getattr__ = lazy_getattr(__name__, globals(), _WHERE)


if TYPE_CHECKING:
    from goalsync.storage.chunkstore import ChunkStore, storage_id
    from goalsync.storage.docstore import DocumentStore, LoadedDocument
    from goalsync.storage.filestore import FileChunkStore
    from goalsync.storage.keys import StorageKey
    from goalsync.storage.memstore import MemoryChunkStore
