"""Readers get a mirror that reflects what is on disk, cheaply.

The storage fingerprint (a listing of chunk names, no reads) tells whether the
mirror is behind; only then is the document loaded to bring it up to date.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from goaltui.errors import WorkspaceNotFound
from goaltui.paths import WorkspacePaths

if TYPE_CHECKING:
    from goaltui.mirror.read import MirrorReader

__all__ = ["current_reader", "fresh_reader", "storage_fingerprint"]


def storage_fingerprint(paths: WorkspacePaths) -> str:
    """The fingerprint of the workspace's chunks on disk (listdir only)."""
    import json

    from goalsync.storage.filestore import FileChunkStore
    from goalsync.storage.fingerprint import fingerprint

    doc_id = json.loads(paths.config.read_text(encoding="utf-8"))["document_id"]
    return fingerprint(FileChunkStore(paths.repo), doc_id)


def current_reader(paths: WorkspacePaths) -> MirrorReader | None:
    """A MirrorReader if the workspace's mirror exists and is up to date, else None."""
    from goaltui.mirror.read import MirrorReader

    if not paths.exists() or not paths.mirror.exists():
        return None
    reader = MirrorReader(paths.mirror)
    if reader.state() == storage_fingerprint(paths):
        return reader
    reader.close()
    return None


def fresh_reader(paths: WorkspacePaths, open_workspace: Callable[[], Any]) -> MirrorReader:
    """A MirrorReader on an up-to-date mirror; opens the workspace only if needed."""
    from goaltui.mirror.read import MirrorReader

    if not paths.exists():
        names = ", ".join(paths.all_names()) or "none yet"
        raise WorkspaceNotFound(
            f"no workspace {paths.name!r} in {paths.data_dir} (workspaces: {names}); "
            "create one with 'goaltui init NAME' or 'goaltui demo'"
        )
    reader = current_reader(paths)
    if reader is not None:
        return reader
    open_workspace().ensure_mirror()
    return MirrorReader(paths.mirror)
