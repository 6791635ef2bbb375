"""A cheap fingerprint of which chunks make up a document.

Readers compare it with the one a derived store (goaltui's SQLite mirror) last
recorded, to know whether that store is behind, without reading any chunk.
A writer computes it from the keys its document contains (``fingerprint_keys``),
so that chunks written meanwhile by other processes still make readers refresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goalsync.storage.chunkstore import ChunkStore
from goalsync.storage.keys import StorageKey

__all__ = ["CHUNK_KINDS", "fingerprint", "fingerprint_keys"]

CHUNK_KINDS = ("snapshot", "incremental")


def fingerprint_keys(keys: Iterable[StorageKey]) -> str:
    """The fingerprint of a set of chunk keys ``(doc_id, kind, name)``."""
    names = sorted("/".join(k[1:]) for k in keys if len(k) == 3 and k[1] in CHUNK_KINDS)
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def fingerprint(store: ChunkStore, doc_id: str) -> str:
    """The fingerprint of the chunks stored for ``doc_id`` (directory listings only)."""
    keys: list[StorageKey] = []
    for kind in CHUNK_KINDS:
        keys.extend(store.list_range((doc_id, kind)))
    return fingerprint_keys(keys)
