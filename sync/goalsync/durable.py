"""Private, durable files: the one implementation every writer of goalsync and goaltui uses.

A file is written to a temporary name in its directory, fsynced, then renamed
(or linked, to refuse overwriting) into place, and the directory is fsynced, so
after a crash it is either the old file or the new one, never a mix. Files are
0600 and directories 0700 whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "fsync_dir", "private_dir", "write_durably"]

DIR_MODE = 0o700
FILE_MODE = 0o600


def fsync_dir(path: Path) -> None:
    """Make the entries of directory ``path`` (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def private_dir(path: Path) -> Path:
    """Create ``path`` and missing parents as 0700; tighten an existing one."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=DIR_MODE)
        os.chmod(d, DIR_MODE)
    if path.stat().st_mode & 0o077:
        os.chmod(path, DIR_MODE)
    return path


def write_durably(path: Path, data: bytes, *, replace: bool = True) -> bool:
    """Write ``data`` to ``path`` (0600) atomically and durably; the directory must exist.

    With ``replace`` off, returns False when ``path`` already exists (the check
    and the placing are one atomic ``link``). A failed write leaves no temporary
    file behind.
    """
    tmp = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        try:
            os.fchmod(fd, FILE_MODE)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
            finally:
                tmp.unlink()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return True
