"""The SQLite mirror: derived, disposable tables and views of a workspace's records.

``store.Mirror`` writes it (the workspace is its only caller); ``read.MirrorReader``
reads it with stdlib ``sqlite3`` only, fast enough for a 100 ms CLI process.
"""

from __future__ import annotations

from goaltui.mirror.read import MirrorReader, QueryError, ReadOnlyQuery
from goaltui.mirror.store import MIRROR_SCHEMA_VERSION, Mirror

__all__ = ["MIRROR_SCHEMA_VERSION", "Mirror", "MirrorReader", "QueryError", "ReadOnlyQuery"]
