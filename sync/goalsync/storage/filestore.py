"""A ChunkStore on the file system, in automerge-repo's "nodefs" layout.

Key ``(k0, k1, ...)`` lives at ``root/k0[:2]/k0[2:]/k1/...`` (PROTOCOL.md §1.9), so the
official JS sync server and goaltui can serve each other's data directory. Writes are
atomic and durable: a temporary file in the same directory, fsync, rename, fsync of the
directory (and of the parents of directories it created). Directories are 0700 and
files 0600 whatever the umask. Quarantine and lock files live beside the nodefs tree
(``root/quarantine``, ``root/locks``), in names the nodefs layout never uses.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from goalsync.durable import DIR_MODE, FILE_MODE, fsync_dir, write_durably
from goalsync.storage.keys import StorageKey, check_key, check_prefix, is_key_part

__all__ = ["FileChunkStore"]

QUARANTINE = "quarantine"
LOCKS = "locks"


class FileChunkStore:
    """Durable, multi-process-safe chunk storage in a directory (nodefs layout)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._dirs: set[Path] = set()

    def path_of(self, key: StorageKey) -> Path:
        """The file that holds ``key`` (or the directory of a prefix)."""
        check_prefix(key)
        if not key:
            return self.root
        return self.root.joinpath(key[0][:2], key[0][2:], *key[1:])

    # -- reading -------------------------------------------------------------------------

    def load(self, key: StorageKey) -> bytes | None:
        path = self.path_of(check_key(key))
        try:
            with open(path, "rb") as f:
                return f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def list_range(self, prefix: StorageKey) -> list[StorageKey]:
        """Keys under ``prefix`` (names only: directory listings, no reads)."""
        path = self.path_of(prefix)
        if not prefix:
            return sorted(self._walk_root())
        if path.is_file():
            return [prefix]
        return sorted(self._walk(path, prefix))

    def load_range(self, prefix: StorageKey) -> list[tuple[StorageKey, bytes]]:
        out = []
        for key in self.list_range(prefix):
            data = self.load(key)
            if data is not None:
                out.append((key, data))
        return out

    def _walk_root(self) -> Iterator[StorageKey]:
        for top in _scandir(self.root):
            if len(top.name) != 2 or not top.is_dir(follow_symlinks=False):
                continue
            for entry in _scandir(Path(top.path)):
                k0 = top.name + entry.name
                if len(k0) < 3 or not is_key_part(k0):
                    continue
                if entry.is_file(follow_symlinks=False):
                    yield (k0,)
                elif entry.is_dir(follow_symlinks=False):
                    yield from self._walk(Path(entry.path), (k0,))

    def _walk(self, path: Path, key: StorageKey) -> Iterator[StorageKey]:
        for entry in _scandir(path):
            if not is_key_part(entry.name):
                continue  # temporary files start with '.'
            if entry.is_file(follow_symlinks=False):
                yield (*key, entry.name)
            elif entry.is_dir(follow_symlinks=False):
                yield from self._walk(Path(entry.path), (*key, entry.name))

    # -- writing -------------------------------------------------------------------------

    def save(self, key: StorageKey, data: bytes) -> None:
        """Write ``data`` under ``key`` atomically; durable when this returns."""
        self._write(self.path_of(check_key(key)), data, replace=True)

    def create(self, key: StorageKey, data: bytes) -> bool:
        """Like save, but only if ``key`` is absent; True if this call created it."""
        return self._write(self.path_of(check_key(key)), data, replace=False)

    def _write(self, path: Path, data: bytes, replace: bool) -> bool:
        for _ in range(5):
            try:
                return self._write_once(path, data, replace)
            except FileNotFoundError:
                self._dirs.clear()  # another process removed a directory: create it again
        return self._write_once(path, data, replace)

    def _write_once(self, path: Path, data: bytes, replace: bool) -> bool:
        self._ensure_dir(path.parent)
        return write_durably(path, data, replace=replace)

    def _ensure_dir(self, path: Path) -> None:
        """Create ``path`` and missing parents (0700), fsyncing each new entry's parent."""
        if path in self._dirs:
            return
        missing = []
        probe = path
        while not probe.is_dir():
            missing.append(probe)
            probe = probe.parent
        for d in reversed(missing):
            try:
                os.mkdir(d, DIR_MODE)
            except FileExistsError:
                continue
            os.chmod(d, DIR_MODE)
            fsync_dir(d.parent)
        self._dirs.add(path)

    def remove(self, key: StorageKey) -> None:
        """Delete ``key`` if present (no fsync: a chunk that comes back is harmless)."""
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
            self.path_of(check_key(key)).unlink()

    def remove_range(self, prefix: StorageKey) -> None:
        """Delete every key under ``prefix`` (and its now-empty directories)."""
        path = self.path_of(prefix)
        self._dirs.clear()
        if not prefix:
            for key in self.list_range(()):
                self.remove(key)
            return
        if path.is_dir():
            import shutil  # rare; keeps the read path's imports small

            shutil.rmtree(path, ignore_errors=True)
        else:
            self.remove(prefix)
        if len(prefix) == 1:
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # the 2-character directory, if now empty
        with contextlib.suppress(FileNotFoundError):
            fsync_dir(path.parent if path.parent.exists() else self.root)

    def remove_stale_temporaries(self, prefix: StorageKey, max_age: float = 3600.0) -> int:
        """Delete temporary files a crashed writer left under ``prefix``; returns how many.

        Only names this store writes (``.<name>.<pid>.<random>.tmp``) older than
        ``max_age`` seconds, so a write in progress is never touched.
        """
        cutoff = time.time() - max_age
        removed = 0
        for dirpath, _, names in os.walk(self.path_of(prefix)):
            for name in names:
                if not (name.startswith(".") and name.endswith(".tmp")):
                    continue
                path = Path(dirpath, name)
                with contextlib.suppress(FileNotFoundError):
                    if path.lstat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
        return removed

    # -- beside the nodefs tree ----------------------------------------------------------

    def quarantine(self, key: StorageKey) -> str | None:
        """Move a bad chunk to ``root/quarantine/<k0>/<name>.<timestamp>``; never deletes.

        Returns the new path, or None if the chunk had already gone.
        """
        src = self.path_of(check_key(key))
        qdir = self.root / QUARANTINE / key[0]
        self._ensure_dir(qdir)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f".{time.time_ns() % 10**9:09d}Z"
        dst = qdir / f"{key[-1]}.{stamp}"
        try:
            os.rename(src, dst)
        except FileNotFoundError:
            return None
        os.chmod(dst, FILE_MODE)
        fsync_dir(qdir)
        fsync_dir(src.parent)
        return str(dst)

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Hold an exclusive flock on ``root/locks/<name>.lock`` (0600) across processes."""
        if not is_key_part(name):
            raise ValueError(f"invalid lock name {name!r}: it must be one safe file name")
        lock_dir = self.root / LOCKS
        self._ensure_dir(lock_dir)
        fd = os.open(lock_dir / f"{name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _scandir(path: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except (FileNotFoundError, NotADirectoryError):
        return []
