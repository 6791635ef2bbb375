"""A full rebuild on two cores: a forked child loads part of the collections.

Reading every record out of the document and writing it to SQLite each take about
2 s at 100k records, and both need the GIL (the binding holds it). A child forked at
the start shares the open document (copy-on-write), reads the collections the roll-up
does not need and writes them into a private side file; meanwhile the parent reads
goals, KPIs and check-ins, computes the derived columns and writes goals and KPIs.
The parent then copies the side tables in with ``INSERT … SELECT`` (SQLite's own
speed) inside the same transaction, so readers still see the old mirror or the new
one, never a mix.

Forking is only safe with one thread (another thread could hold a lock the child
needs), so :func:`can_split` says when; anything going wrong in the child (an error,
a crash, a kill) only means the parent reads those collections itself.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from goaltui.mirror.bulk import by_id, create_indexes, insert_rows, prepare
from goaltui.mirror.rollup import derived_columns
from goaltui.mirror.rows import ROWS
from goaltui.mirror.tables import TABLES, create_table_sql, quote
from goaltui.model.records import Record

__all__ = ["PARENT_READS", "SideLoad", "can_split", "remove_stale_side_files", "split_load"]

Readers = Mapping[str, Callable[[], Iterable[Record]]]

PARENT_READS = ("goals", "kpis", "checkins")
"""What the parent reads: what the derived columns (progress) are computed from."""
_PARENT_WRITES = ("goals", "kpis")

_SIDE_PREFIX = "mirror-side-"


def can_split() -> bool:
    """Whether this process may fork a helper now: POSIX, and no other thread running."""
    return hasattr(os, "fork") and threading.active_count() == 1


class SideLoad:
    """A forked child writing some collections into a side database file."""

    def __init__(self, path: Path, pid: int, collections: tuple[str, ...]) -> None:
        self.path = path
        self.pid = pid
        self.collections = collections
        self._status: int | None = None

    @classmethod
    def start(cls, directory: Path, readers: Readers) -> SideLoad:
        """Fork the child; it loads every collection of ``readers`` the parent does not read."""
        collections = tuple(name for name in readers if name not in _PARENT_WRITES)
        path = directory / f"{_SIDE_PREFIX}{os.getpid()}-{os.urandom(6).hex()}.db"
        # A new private file (an empty file is an empty database); not tempfile, whose
        # import costs more than this whole module.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        pid = os.fork()
        if pid == 0:  # the child never returns; if it fails, the parent reads them itself
            ok = False
            try:
                _load_side(path, readers, collections)
                ok = True
            finally:
                os._exit(0 if ok else 1)
        return cls(path, pid, collections)

    def wait(self) -> bool:
        """Wait for the child; True if it wrote every one of its collections."""
        if self._status is None:
            _, status = os.waitpid(self.pid, 0)
            self._status = status
        return os.WIFEXITED(self._status) and os.WEXITSTATUS(self._status) == 0

    def close(self) -> None:
        """Stop the child if it still runs, and delete the side file."""
        if self._status is None:
            import signal

            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.wait()
        for suffix in ("", "-journal"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)


def remove_stale_side_files(directory: Path, older_than: float = 600.0) -> None:
    """Delete side files left by a rebuild that was killed (not touched for 10 minutes)."""
    limit = time.time() - older_than
    for stale in directory.glob(f"{_SIDE_PREFIX}*"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < limit:
                stale.unlink()


def _load_side(path: Path, readers: Readers, collections: tuple[str, ...]) -> None:
    """In the child: read ``collections`` and write them to ``path``."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for name in collections:
            conn.execute(create_table_sql(TABLES[name]))
            found = by_id(readers[name]())
            rows = ROWS[name]
            conn.executemany(rows.insert, map(rows.row, found))
        conn.execute("COMMIT")
    finally:
        conn.close()


def split_load(conn: sqlite3.Connection, readers: Readers, side: SideLoad, alias: str) -> None:
    """Replace every table's rows, the side load (attached as ``alias``) giving its share.

    Runs inside the caller's transaction, like :func:`bulk.bulk_load`.
    """
    prepare(conn)
    got = {name: by_id(readers[name]()) if name in readers else [] for name in PARENT_READS}
    goal_extra, kpi_extra = derived_columns(got["goals"], got["kpis"], got["checkins"])
    insert_rows(conn, "goals", got["goals"], goal_extra)
    insert_rows(conn, "kpis", got["kpis"], kpi_extra)
    if "checkins" not in side.collections:
        insert_rows(conn, "checkins", got["checkins"])
    if side.wait():
        for name in side.collections:
            _copy_table(conn, alias, name)
    else:
        for name in side.collections:
            insert_rows(conn, name, by_id(readers[name]()))
    create_indexes(conn)


def _copy_table(conn: sqlite3.Connection, alias: str, name: str) -> None:
    table = quote(TABLES[name].name)
    conn.execute(f"INSERT INTO main.{table} SELECT * FROM {quote(alias)}.{table}")
    conn.execute(
        f"INSERT OR REPLACE INTO main.record_index (id, collection) SELECT id, ? FROM main.{table}",
        (name,),
    )
