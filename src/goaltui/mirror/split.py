"""A full rebuild on two cores: a forked child loads part of the collections.

Reading every record out of the document and writing it to SQLite each take about
2 s at 100k records, and both need the GIL (the binding holds it). A child forked at
the start shares the open document (copy-on-write). It reads the check-ins first and
hands the parent what the roll-up needs of them (each KPI's current value and times),
then writes them and every other collection into a private side file. Meanwhile the
parent reads goals and KPIs, computes the derived columns and writes those two. It
then copies the side tables in with ``INSERT … SELECT`` (SQLite's own speed) inside
the same transaction, so readers see the old mirror or the new one, never a mix.

Forking is only safe with one thread (another thread could hold a lock the child
needs), so :func:`can_split` says when; anything going wrong in the child (an error,
a crash, a kill) only means the parent reads those collections itself.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from goaltui.mirror.bulk import by_id, create_indexes, insert_rows, prepare
from goaltui.mirror.rollup import CheckinFacts, checkin_facts, derived_from_facts, store_loops
from goaltui.mirror.rows import ROWS
from goaltui.mirror.tables import TABLES, create_table_sql, quote
from goaltui.model.records import Record

__all__ = ["SideLoad", "can_split", "remove_stale_side_files", "split_load"]

Readers = Mapping[str, Callable[[], Iterable[Record]]]

_PARENT_WRITES = ("goals", "kpis")
"""What the parent reads and writes; the child the rest, and the check-ins' facts."""

_SIDE_PREFIX = "mirror-side-"


def can_split() -> bool:
    """Whether this process may fork a helper now: POSIX, and no other thread running."""
    return hasattr(os, "fork") and threading.active_count() == 1


class SideLoad:
    """A forked child writing some collections into a side database file.

    The child reads the check-ins first and hands their facts (each KPI's current
    value and check-in times, all the roll-up needs of them) to the parent through a
    file next to the side database, signalled on a pipe; so the parent never reads the
    check-ins, the biggest collection.
    """

    def __init__(self, path: Path, pid: int, collections: tuple[str, ...], signal_fd: int) -> None:
        self.path = path
        self.pid = pid
        self.collections = collections
        self._signal_fd = signal_fd
        self._status: int | None = None

    @property
    def facts_path(self) -> Path:
        return _facts_path(self.path)

    @classmethod
    def start(cls, directory: Path, readers: Readers) -> SideLoad:
        """Fork the child; it loads every collection of ``readers`` but goals and KPIs."""
        collections = tuple(name for name in readers if name not in _PARENT_WRITES)
        collections = tuple(sorted(collections, key=lambda name: name != "checkins"))
        path = directory / f"{_SIDE_PREFIX}{os.getpid()}-{os.urandom(6).hex()}.db"
        # A new private file (an empty file is an empty database); not tempfile, whose
        # import costs more than this whole module.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child never returns; if it fails, the parent reads them itself
            ok = False
            try:
                os.close(read_end)
                gc.disable()  # as the parent's rebuild: no collections of the records it makes
                _load_side(path, readers, collections, write_end)
                ok = True
            finally:
                os._exit(0 if ok else 1)
        os.close(write_end)
        return cls(path, pid, collections, read_end)

    def checkin_facts(self) -> CheckinFacts | None:
        """The check-ins' facts from the child, once it has them; None if it failed."""
        try:
            signalled = os.read(self._signal_fd, 1) == b"1"
            return marshal.loads(self.facts_path.read_bytes()) if signalled else None
        except (OSError, ValueError, EOFError, TypeError):
            return None
        finally:
            os.close(self._signal_fd)
            self._signal_fd = -1

    def wait(self) -> bool:
        """Wait for the child; True if it wrote every one of its collections."""
        if self._status is None:
            _, status = os.waitpid(self.pid, 0)
            self._status = status
        return os.WIFEXITED(self._status) and os.WEXITSTATUS(self._status) == 0

    def close(self) -> None:
        """Stop the child if it still runs, and delete the side files."""
        if self._signal_fd >= 0:
            os.close(self._signal_fd)
            self._signal_fd = -1
        if self._status is None:
            import signal

            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.wait()
        for stale in (self.path, Path(f"{self.path}-journal"), self.facts_path):
            stale.unlink(missing_ok=True)


def _facts_path(side: Path) -> Path:
    return side.with_suffix(".facts")


def remove_stale_side_files(directory: Path, older_than: float = 600.0) -> None:
    """Delete side files left by a rebuild that was killed (not touched for 10 minutes)."""
    limit = time.time() - older_than
    for stale in directory.glob(f"{_SIDE_PREFIX}*"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < limit:
                stale.unlink()


def _load_side(path: Path, readers: Readers, collections: tuple[str, ...], signal_fd: int) -> None:
    """In the child: read ``collections`` (check-ins first: their facts go to the parent
    as soon as they are known) and write them to ``path``."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for name in collections:
            found = by_id(readers[name]())
            if name == "checkins":
                _hand_over(_facts_path(path), checkin_facts(found), signal_fd)
            conn.execute(create_table_sql(TABLES[name]))
            rows = ROWS[name]
            conn.executemany(rows.insert, map(rows.row, found))
        conn.execute("COMMIT")
    finally:
        conn.close()


def _hand_over(path: Path, facts: CheckinFacts, signal_fd: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(marshal.dumps(facts))
    os.write(signal_fd, b"1")
    os.close(signal_fd)


def split_load(conn: sqlite3.Connection, readers: Readers, side: SideLoad, alias: str) -> None:
    """Replace every table's rows, the side load (attached as ``alias``) giving its share.

    Runs inside the caller's transaction, like :func:`bulk.bulk_load`.
    """
    prepare(conn)
    goals = by_id(readers["goals"]()) if "goals" in readers else []
    kpis = by_id(readers["kpis"]()) if "kpis" in readers else []
    facts = side.checkin_facts() if "checkins" in side.collections else None
    if facts is None:  # the child failed: read the check-ins here
        facts = checkin_facts(readers["checkins"]() if "checkins" in readers else [])
    goal_extra, kpi_extra, loops = derived_from_facts(goals, kpis, facts)
    store_loops(conn, loops)
    insert_rows(conn, "goals", goals, goal_extra)
    insert_rows(conn, "kpis", kpis, kpi_extra)
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
