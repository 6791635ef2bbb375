"""The writer of the SQLite mirror: derived, disposable, updated in the same step as each edit.

The workspace calls :meth:`Mirror.rebuild` after a load (or when the mirror's layout
changed) and :meth:`Mirror.apply` after each local edit or merge, with the records that
changed. Both run in one transaction and store the workspace's state string (and the
document heads, when given) last, so a reader that sees the state sees the data that
goes with it, and can tell which changes the mirror already reflects.
"""

from __future__ import annotations

import gc
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path

from goaltui.errors import StorageProblem
from goaltui.mirror.rows import ROWS
from goaltui.mirror.tables import (
    MIRROR_SCHEMA_VERSION,
    TABLES,
    ddl_fingerprint,
    layout_json,
    quote,
    schema_ddl,
    table_for,
)
from goaltui.mirror.version import format_heads, parse_heads
from goaltui.mirror.views import VIEWS
from goaltui.model import clock, dates
from goaltui.model.records import Record

__all__ = ["MIRROR_SCHEMA_VERSION", "Mirror"]

_FILE_MODE = 0o600


def _create_private(path: Path) -> None:
    """Create ``path`` as an empty 0600 file if missing; tighten its mode if it exists."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, _FILE_MODE)
    try:
        os.fchmod(fd, _FILE_MODE)
    finally:
        os.close(fd)


def _sidecars(path: Path) -> list[Path]:
    return [Path(str(path) + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _tighten_sidecars(path: Path) -> None:
    for side in _sidecars(path):
        try:
            if side.stat().st_mode & 0o077:
                os.chmod(side, _FILE_MODE)
        except FileNotFoundError:
            pass


def _pinned_today() -> str | None:
    """The model clock's date when it is pinned (tests, snapshots), else None."""
    if getattr(clock, "_pinned", None) is None and not os.environ.get(clock.ENV_VAR, "").strip():
        return None
    return dates.today()


_EXPECTED_OBJECTS = {t.name for t in TABLES.values()} | {name for name, _ in VIEWS}
_EXPECTED_OBJECTS |= {"record_index", "mirror_meta"}


class Mirror:
    """Read-write handle on a mirror file. One per workspace process; not thread-safe."""

    def __init__(self, conn: sqlite3.Connection, path: Path, needs_rebuild: bool) -> None:
        self._conn = conn
        self.path = path
        self.needs_rebuild = needs_rebuild

    @classmethod
    def open(cls, path: Path) -> Mirror:
        """Open (or create) the mirror at ``path``; a stale layout is recreated empty.

        ``needs_rebuild`` is then True and the caller must :meth:`rebuild` it.
        """
        path = Path(path)
        try:
            try:
                conn, needs_rebuild = _connect(path)
            except sqlite3.DatabaseError:
                # Not a database (truncated, overwritten): it is derived data, start afresh.
                for stale in (path, *_sidecars(path)):
                    stale.unlink(missing_ok=True)
                conn, needs_rebuild = _connect(path)
        except sqlite3.Error as exc:
            raise StorageProblem(
                f"cannot open the SQLite mirror {path}: {exc}; delete the file and run "
                "`goaltui mirror rebuild`"
            ) from exc
        return cls(conn, path, needs_rebuild)

    def rebuild(
        self, records: Iterable[Record], state: str, *, heads: Sequence[bytes] | None = None
    ) -> None:
        """Replace the whole content with ``records`` (one transaction), then store ``state``.

        ``heads`` are the document heads the records were read at (stored for readers
        that catch up incrementally); None stores none. The load runs with
        ``synchronous = OFF`` (WAL stays on, so readers keep their snapshot): a process
        crash loses nothing, but an OS crash or power cut right after a rebuild can damage
        the file. It is derived data: delete it and it is rebuilt from the document.
        """
        conn = self._conn
        conn.execute("PRAGMA synchronous = OFF")
        try:
            with _gc_paused(), _transaction(conn):
                from goaltui.mirror.bulk import bulk_load

                bulk_load(conn, records)
                self._finish(state, heads)
        finally:
            conn.execute("PRAGMA synchronous = NORMAL")
        self.needs_rebuild = False
        _tighten_sidecars(self.path)

    def rebuild_from(
        self,
        readers: Mapping[str, Callable[[], Iterable[Record]]],
        state: str,
        *,
        heads: Sequence[bytes] | None = None,
        split: bool = False,
    ) -> None:
        """:meth:`rebuild` from one reader per collection (``strategy`` included).

        With ``split`` (big workspaces) and where forking is safe, a child process
        shares the work (``goaltui.mirror.split``): about 1.5× faster on two cores.
        """
        from goaltui.mirror.split import SideLoad, can_split, remove_stale_side_files, split_load

        if not (split and can_split()):
            self.rebuild(
                chain.from_iterable(read() for read in readers.values()), state, heads=heads
            )
            return
        remove_stale_side_files(self.path.parent)
        side = SideLoad.start(self.path.parent, readers)
        conn = self._conn
        try:
            conn.execute("ATTACH DATABASE ? AS side", (str(side.path),))
            conn.execute("PRAGMA synchronous = OFF")
            try:
                with _gc_paused(), _transaction(conn, deferred=True):
                    split_load(conn, readers, side, "side")
                    self._finish(state, heads)
            finally:
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("DETACH DATABASE side")
        finally:
            side.close()
        self.needs_rebuild = False
        _tighten_sidecars(self.path)

    def apply(
        self,
        upserts: Iterable[Record],
        deletes: Iterable[tuple[str, str]],
        state: str,
        *,
        heads: Sequence[bytes] | None = None,
    ) -> None:
        """Upsert and delete the given records, refresh the progress they affect, store ``state``.

        Reads only the rows it needs through indexes: its cost follows the change, not the
        size of the workspace. ``heads`` are the document heads the mirror now reflects;
        None forgets the stored ones (they would be wrong).
        """
        conn = self._conn
        kpis: set[str] = set()
        goals: set[str] = set()
        structural = False  # did a goal come, go or change (its parent, its archiving)?
        with _transaction(conn):
            for collection, record_id in deletes:
                if collection not in ROWS:
                    continue
                _note_affected(conn, collection, record_id, kpis, goals)
                structural = structural or collection == "goals"
                conn.execute(ROWS[collection].delete, (record_id,))
                conn.execute(
                    "DELETE FROM record_index WHERE id = ? AND collection = ?",
                    (record_id, collection),
                )
            for record in upserts:
                rows = ROWS.get(record.collection)
                if rows is None:
                    continue
                _note_affected(conn, record.collection, record.id, kpis, goals)
                structural = structural or record.collection == "goals"
                conn.execute(rows.upsert, rows.row(record))
                conn.execute(
                    "INSERT OR REPLACE INTO record_index (id, collection) VALUES (?, ?)",
                    (record.id, record.collection),
                )
                _note_affected(conn, record.collection, record.id, kpis, goals)
            from goaltui.mirror.rollup import recompute  # the model's roll-up: on first use

            recompute(conn, kpis, goals, structural=structural)
            self._finish(state, heads)

    def state(self) -> str | None:
        """The opaque state string stored by the last rebuild or apply (None if never)."""
        row = self._conn.execute("SELECT value FROM mirror_meta WHERE key = 'state'").fetchone()
        return None if row is None else str(row[0])

    def heads(self) -> list[bytes] | None:
        """The document heads stored by the last rebuild or apply (None if not known)."""
        row = self._conn.execute("SELECT value FROM mirror_meta WHERE key = 'heads'").fetchone()
        return None if row is None else parse_heads(row[0])

    def close(self) -> None:
        """Close the connection (a checkpoint folds the WAL back into the file)."""
        self._conn.close()

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _finish(self, state: str, heads: Sequence[bytes] | None) -> None:
        conn = self._conn
        conn.execute(
            "INSERT OR REPLACE INTO mirror_meta (key, value) VALUES ('state', ?)", (state,)
        )
        if heads is None:
            conn.execute("DELETE FROM mirror_meta WHERE key = 'heads'")
        else:
            conn.execute(
                "INSERT OR REPLACE INTO mirror_meta (key, value) VALUES ('heads', ?)",
                (format_heads(heads),),
            )
        today = _pinned_today()
        if today is None:
            conn.execute("DELETE FROM mirror_meta WHERE key = 'today'")
        else:
            conn.execute(
                "INSERT OR REPLACE INTO mirror_meta (key, value) VALUES ('today', ?)", (today,)
            )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a rebuild builds ~10 objects per record.

    Each collection of the oldest generation walks every live object, and a rebuild
    makes enough new ones to trigger several: about a third of the roll-up's time at
    100k records. Reference counting still frees memory meanwhile.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception.

    ``deferred`` begins without locking: with a database attached, IMMEDIATE would
    lock that one too (the split rebuild's side file, which its child is writing).
    """

    def __init__(self, conn: sqlite3.Connection, *, deferred: bool = False) -> None:
        self.conn = conn
        self.begin = "BEGIN" if deferred else "BEGIN IMMEDIATE"

    def __enter__(self) -> None:
        self.conn.execute(self.begin)

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _note_affected(
    conn: sqlite3.Connection, collection: str, record_id: str, kpis: set[str], goals: set[str]
) -> None:
    """Add the KPIs and goals whose progress a change to this record can move."""
    if collection == "goals":
        goals.add(record_id)
        row = conn.execute("SELECT parent FROM goals WHERE id = ?", (record_id,)).fetchone()
        if row and isinstance(row[0], str):
            goals.add(row[0])
    elif collection == "kpis":
        kpis.add(record_id)
        row = conn.execute("SELECT goal FROM kpis WHERE id = ?", (record_id,)).fetchone()
        if row and isinstance(row[0], str):
            goals.add(row[0])
    elif collection == "checkins":
        row = conn.execute("SELECT kpi FROM checkins WHERE id = ?", (record_id,)).fetchone()
        if row and isinstance(row[0], str):
            kpis.add(row[0])


def _connect(path: Path) -> tuple[sqlite3.Connection, bool]:
    """Connect in WAL mode; recreate the layout if it is not this code's."""
    _create_private(path)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = OFF")
        _tighten_sidecars(path)
        needs_rebuild = not _layout_current(conn)
        if needs_rebuild:
            _recreate(conn)
    except sqlite3.Error:
        conn.close()
        raise
    return conn, needs_rebuild


def _layout_current(conn: sqlite3.Connection) -> bool:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version != MIRROR_SCHEMA_VERSION:
        return False
    try:
        row = conn.execute("SELECT value FROM mirror_meta WHERE key = 'ddl'").fetchone()
    except sqlite3.OperationalError:
        return False
    if row is None or row[0] != ddl_fingerprint():
        return False
    present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    return present >= _EXPECTED_OBJECTS


def _recreate(conn: sqlite3.Connection) -> None:
    """Drop every object and create the current layout, stamped with its version."""
    with _transaction(conn):
        objects = conn.execute(
            "SELECT type, name FROM sqlite_master "
            "WHERE type IN ('view', 'table') AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        for kind, name in sorted(objects, key=lambda o: o[0] != "view"):
            conn.execute(f"DROP {kind.upper()} IF EXISTS {quote(name)}")
        for statement in schema_ddl():
            conn.execute(statement)
        conn.executemany(
            "INSERT INTO mirror_meta (key, value) VALUES (?, ?)",
            [("ddl", ddl_fingerprint()), ("layout", layout_json())],
        )
        conn.execute(f"PRAGMA user_version = {MIRROR_SCHEMA_VERSION}")


def table_name(collection: str) -> str:
    """The SQL table that mirrors ``collection`` (``values`` → ``strategy_values``)."""
    return table_for(collection).name
