"""Small private, atomic and durable files for the relay's own state (tokens, owners).

Each write goes to a temporary file in the same directory (mode 0600), is fsynced,
renamed over the target and the directory fsynced, so a crash leaves the old or the
new content, never a mix. Directories are 0700 whatever the umask.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from goalsync.durable import FILE_MODE, private_dir, write_durably

__all__ = ["StateFileError", "exclusive", "private_dir", "read_json", "write_json"]


class StateFileError(Exception):
    """A relay state file is unreadable or damaged; the message names it and what to do."""


def write_json(path: Path, value: Any, *, replace: bool = True) -> bool:
    """Write ``value`` as JSON atomically and durably; False if ``replace`` is off and the
    file exists (the check and the rename are one atomic step: ``link``)."""
    private_dir(path.parent)
    data = json.dumps(value, indent=1, sort_keys=True).encode() + b"\n"
    return write_durably(path, data, replace=replace)


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None if it does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return json.loads(data)
    except ValueError:
        raise StateFileError(
            f"{path} is damaged (not JSON); restore it from a backup of the relay's data dir"
        ) from None


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (created 0600) across processes."""
    private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
