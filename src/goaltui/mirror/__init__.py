"""The SQLite mirror: derived, disposable tables and views of a workspace's records.

``store.Mirror`` writes it (the workspace is its only caller); ``read.MirrorReader``
reads it with stdlib ``sqlite3`` only, fast enough for a 100 ms CLI process. Names are
imported lazily so that importing the reader never loads the writer and the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goaltui.mirror.read import MirrorReader, QueryError, ReadOnlyQuery
    from goaltui.mirror.store import MIRROR_SCHEMA_VERSION, Mirror

__all__ = ["MIRROR_SCHEMA_VERSION", "Mirror", "MirrorReader", "QueryError", "ReadOnlyQuery"]

_WHERE = {
    "MIRROR_SCHEMA_VERSION": "goaltui.mirror.store",
    "Mirror": "goaltui.mirror.store",
    "MirrorReader": "goaltui.mirror.read",
    "QueryError": "goaltui.mirror.read",
    "ReadOnlyQuery": "goaltui.mirror.read",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
