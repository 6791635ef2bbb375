"""The Workspace: the one path through which every change to a workspace goes.

Each public mutation is one Automerge transaction, validated before it writes,
made durable (an incremental chunk, fsynced) before it returns, mirrored into
SQLite in the same step, and announced to subscribers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from automerge import core as am

from goalsync.amcore import is_panic
from goalsync.protocol.docid import new_document_id, to_url
from goalsync.storage import DocumentStore, FileChunkStore
from goalsync.storage.fingerprint import fingerprint_keys
from goaltui.errors import (
    NewerSchemaError,
    NotFound,
    StorageProblem,
    WorkspaceExists,
    WorkspaceNotFound,
)
from goaltui.model import SCHEMA_VERSION, Record, collection
from goaltui.model.dates import now_instant
from goaltui.model.schema import COLLECTIONS
from goaltui.paths import WorkspacePaths, ensure_private_dir, valid_workspace_name
from goaltui.workspace.changes import touched_records
from goaltui.workspace.codec import (
    STRATEGY_ID,
    collection_obj,
    iter_records,
    read_map,
    read_record,
    write_fields,
)
from goaltui.workspace.config import WorkspaceConfig
from goaltui.workspace.editing import RecordEditing
from goaltui.workspace.history import HistoryEntry, read_history, write_history
from goaltui.workspace.ids import new_id
from goaltui.workspace.undo import UndoStack

if TYPE_CHECKING:  # merges only: imported when one happens (start-up is on the clock)
    from goaltui.workspace.conflicts import Conflict

__all__ = ["Workspace", "WorkspaceChange"]

COMPACT_AFTER = 256  # incremental chunks before a compaction is worth its save()


@dataclass(frozen=True)
class WorkspaceChange:
    """What subscribers are told after each change: which records, from where."""

    action: str
    records: tuple[tuple[str, str], ...]
    origin: str  # "local" (this process), "disk" (another process), "sync"
    everything: bool = False
    conflicts: int = 0  # fields written concurrently, now in the conflict list


W = TypeVar("W", bound="Workspace")

SPLIT_REBUILD_AT = 20_000
"""Records from which a full mirror rebuild forks a helper to use a second core."""


class Workspace(RecordEditing):
    """An open workspace: its document, its storage and its mirror."""

    def __init__(
        self, paths: WorkspacePaths, config: WorkspaceConfig, store: DocumentStore
    ) -> None:
        self.paths = paths
        self.config = config
        self._store = store
        self._subscribers: list[Callable[[WorkspaceChange], None]] = []
        self.problems: list[str] = []
        self._mirror: Any = None
        self._undo = UndoStack()
        self._load()

    # ----------------------------------------------------------------- opening

    @classmethod
    def create(cls: type[W], paths: WorkspacePaths, *, document_id: str | None = None) -> W:
        """Create a new workspace called ``paths.name``; fails if it exists."""
        if not valid_workspace_name(paths.name):
            raise StorageProblem(
                f"{paths.name!r} is not a valid workspace name: use letters, digits, '.', '_' "
                "or '-', starting with a letter or digit"
            )
        if paths.exists():
            raise WorkspaceExists(f"workspace {paths.name!r} already exists in {paths.data_dir}")
        ensure_private_dir(paths.dir)
        ensure_private_dir(paths.repo)
        config = WorkspaceConfig(document_id=document_id or new_document_id())
        config.save(paths.config)
        ws = cls(paths, config, DocumentStore(FileChunkStore(paths.repo)))
        if not ws._doc.get_heads():
            ws._initialise()
        return ws

    @classmethod
    def attach(cls, paths: WorkspacePaths, document_id: str) -> None:
        """Set up the local files of a workspace whose document will come from a peer.

        Writes nothing to the document: a sync must bring it before ``open``.
        """
        if not valid_workspace_name(paths.name):
            raise StorageProblem(f"{paths.name!r} is not a valid workspace name")
        if paths.exists():
            raise WorkspaceExists(f"workspace {paths.name!r} already exists in {paths.data_dir}")
        ensure_private_dir(paths.dir)
        ensure_private_dir(paths.repo)
        WorkspaceConfig(document_id=document_id).save(paths.config)

    @classmethod
    def open(cls: type[W], paths: WorkspacePaths) -> W:
        """Open an existing workspace."""
        if not paths.exists():
            names = ", ".join(paths.all_names()) or "none yet"
            raise WorkspaceNotFound(
                f"no workspace {paths.name!r} in {paths.data_dir} (workspaces: {names}); "
                "create one with 'goaltui init NAME' or 'goaltui demo'"
            )
        config = WorkspaceConfig.load(paths.config)
        return cls(paths, config, DocumentStore(FileChunkStore(paths.repo)))

    def _load(self) -> None:
        try:
            loaded = self._store.load(self.config.document_id, actor_id=am.random_actor_id())
        except OSError as exc:
            raise StorageProblem(f"cannot read {self.paths.repo}: {exc}") from None
        self._doc: am.Document = loaded.doc
        self._known = loaded.known
        self.problems.extend(loaded.problems)
        self._check_schema()

    def _check_schema(self) -> None:
        got = self._doc.get(am.ROOT, "meta")
        if got is None:
            return
        version = self._doc.get(got[1], "schema")
        if version is not None and isinstance(version[0], tuple):
            found = version[0][1]
            if isinstance(found, int) and found > SCHEMA_VERSION:
                raise NewerSchemaError(
                    f"workspace {self.paths.name!r} uses schema version {found}, this goaltui "
                    f"knows up to {SCHEMA_VERSION}: upgrade goaltui to open it "
                    "(nothing was changed)"
                )

    def _initialise(self) -> None:
        def write(tx: am.Transaction) -> None:
            meta = tx.put_object(am.ROOT, "meta", am.ObjType.Map)
            write_fields(
                tx,
                meta,
                None,
                {"schema": SCHEMA_VERSION, "name": self.paths.name, "created_at": now_instant()},
            )

        self._commit("create workspace", [], write, summary=f"created {self.paths.name}")

    def close(self) -> None:
        """Compact if worthwhile and release the mirror."""
        try:
            if self.pending_chunks() > COMPACT_AFTER:
                self.compact()
        finally:
            if self._mirror is not None:
                self._mirror.close()
                self._mirror = None

    def pending_chunks(self) -> int:
        """How many incremental chunks a compaction would fold into the snapshot."""
        return sum(1 for key in self._known if len(key) == 3 and key[1] == "incremental")

    def __enter__(self: W) -> W:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------- identity

    @property
    def doc_id(self) -> str:
        return self.config.document_id

    @property
    def url(self) -> str:
        """The ``automerge:`` URL peers use to find this workspace."""
        return to_url(self.doc_id)

    @property
    def name(self) -> str:
        return self.paths.name

    @property
    def actor(self) -> str:
        return self._doc.get_actor().hex()

    @property
    def me(self) -> str | None:
        """The person id of this device's user, if set."""
        return self.config.me

    def set_me(self, person_id: str | None) -> None:
        if person_id is not None:
            self.get(person_id, "people")
        self.config.me = person_id
        self.config.save(self.paths.config)

    # ------------------------------------------------------------------ reads

    def find(self, coll_name: str, record_id: str) -> Record | None:
        return read_record(self._doc, coll_name, record_id)

    def get(self, record_id: str, coll_name: str | None = None) -> Record:
        """The record with this id (in ``coll_name`` if given); NotFound otherwise."""
        names = [coll_name] if coll_name else [*COLLECTIONS]
        for name in names:
            record = read_record(self._doc, name, record_id)
            if record is not None:
                return record
        where = f"among {coll_name}" if coll_name else "in this workspace"
        raise NotFound(f"no record {record_id!r} {where}")

    def records(self, coll_name: str, *, include_archived: bool = False) -> list[Record]:
        collection(coll_name)
        out = list(iter_records(self._doc, coll_name))
        if not include_archived:
            out = [r for r in out if not r.data.get("archived")]
        return out

    def all_records(self) -> Iterator[Record]:
        """Every record of every collection, and the strategy record."""
        strategy = self.strategy()
        if strategy.data:
            yield strategy
        for name in COLLECTIONS:
            yield from iter_records(self._doc, name)

    def strategy(self) -> Record:
        return read_record(self._doc, STRATEGY_ID, STRATEGY_ID) or Record(
            STRATEGY_ID, STRATEGY_ID, {}
        )

    def history(self) -> list[HistoryEntry]:
        return read_history(self._doc)

    def meta(self) -> dict[str, Any]:
        """The document's ``meta`` record: schema version, name, created_at."""
        got = self._doc.get(am.ROOT, "meta")
        return {} if got is None else read_map(self._doc, got[1])

    def _exists(self, coll_name: str, record_id: str) -> bool:
        if coll_name == "*":
            return any(self._exists(name, record_id) for name in COLLECTIONS)
        parent = collection_obj(self._doc, coll_name)
        return parent is not None and self._doc.get(parent, record_id) is not None

    def _lookup(self, coll_name: str, record_id: str) -> dict[str, Any] | None:
        record = self.find(coll_name, record_id)
        return None if record is None else dict(record.data)

    # ------------------------------------------------------------ the commit

    def _commit(
        self,
        action: str,
        records: list[tuple[str, str]],
        write: Callable[[am.Transaction], None],
        *,
        fields: Iterable[str] = (),
        summary: str = "",
    ) -> None:
        self.refresh()
        heads = self._doc.get_heads()
        actor = self.actor
        try:
            with self._doc.transaction() as tx:
                write(tx)
                write_history(
                    tx,
                    new_id(),
                    at=now_instant(),
                    actor=actor,
                    author=self.me,
                    action=action,
                    records=[r for _, r in records],
                    fields=fields,
                    summary=summary,
                )
        except BaseException as exc:
            if is_panic(exc):
                self._recover(f"the Automerge binding failed during '{action}': {exc}")
            raise
        try:
            self._store.append(self.doc_id, self._doc, heads, self._known)
        except OSError as exc:
            self._recover(f"could not save '{action}': {exc}")
        self._mirror_apply(records)
        self._notify(WorkspaceChange(action, tuple(records), "local"))

    def _recover(self, message: str) -> None:
        """Reload from disk after a failed write: the unsaved change is dropped, nothing else."""
        self._load()
        raise StorageProblem(
            f"{message}. The change was not saved; the workspace was reloaded from disk."
        )

    # ------------------------------------------------------- other processes

    def refresh(self) -> bool:
        """Apply chunks other processes wrote; True if the document changed."""
        before = self._doc.get_heads()
        new = self._store.refresh(self.doc_id, self._doc, self._known)
        self._take_store_problems()
        if not new or self._doc.get_heads() == before:
            return False
        self.absorb(before, origin="disk")
        return True

    def _take_store_problems(self) -> None:
        """Damaged chunks the storage moved aside since last asked."""
        if self._store.problems:
            self.problems.extend(self._store.problems)
            self._store.problems.clear()

    def absorb(self, before: list[bytes], *, origin: str) -> WorkspaceChange:
        """After changes arrived from elsewhere: mirror them and tell subscribers."""
        from goaltui.workspace.conflicts import ConflictLog, find_conflicts
        from goaltui.workspace.incoming import touched_by_changes

        heads = self._doc.get_heads()
        touched = touched_by_changes(self._doc, before)  # O(changes); None: it cannot tell
        if touched is None:
            touched = touched_records(self._doc.diff(before, heads))
        if touched.everything:
            self._mirror_rebuild()
        else:
            mirror = self._open_mirror()  # opening it may have caught it up to these heads
            current = mirror.state() == self.mirror_state()
            if not current or set(mirror.heads() or ()) != set(heads):
                self._mirror_apply(sorted(touched.records))
        found = []
        if touched.conflicts:
            found = find_conflicts(self._doc, touched.conflicts, self._actor_names(), now_instant())
            ConflictLog.load(self.paths.conflicts).add(found)
        change = WorkspaceChange(
            "merge", tuple(sorted(touched.records)), origin, touched.everything, len(found)
        )
        self._notify(change)
        return change

    def _actor_names(self) -> dict[str, str]:
        """Device (actor hex) → the name of the person who used it, from the history."""
        people = {p.id: p.title for p in self.records("people", include_archived=True)}
        names: dict[str, str] = {}
        for entry in self.history():
            if entry.author and entry.author in people:
                names[entry.actor] = people[entry.author]
        return names

    def conflicts(self) -> list[Conflict]:
        """Unsettled concurrent writes found by merges (local list, oldest first)."""
        from goaltui.workspace.conflicts import ConflictLog

        return list(ConflictLog.load(self.paths.conflicts).items)

    def resolve_conflict(self, conflict_id: str, value: Any) -> Conflict:
        """Settle a conflict by writing ``value`` (one of the competing ones, or new)."""
        from goaltui.workspace.conflicts import ConflictLog

        log = ConflictLog.load(self.paths.conflicts)
        matches = log.find(conflict_id)
        if len(matches) != 1:
            raise NotFound(
                f"no conflict {conflict_id!r}"
                if not matches
                else f"{conflict_id!r} matches {len(matches)} conflicts: type more of its id"
            )
        conflict = matches[0]
        if conflict.collection == STRATEGY_ID:
            self.set_strategy({conflict.field: value})
        else:
            self.edit(conflict.record, {conflict.field: value})
        log.remove(conflict.id)
        return conflict

    def compact(self) -> None:
        """Write a snapshot and drop the chunks it covers (safe with other processes)."""
        before = self._doc.get_heads()
        self._store.compact(self.doc_id, self._doc, self._known)
        self._take_store_problems()
        if self._doc.get_heads() != before:  # compaction refreshed first
            self.absorb(before, origin="disk")
        else:
            self._mirror_state_only()

    # ------------------------------------------------------------ subscribers

    def subscribe(self, callback: Callable[[WorkspaceChange], None]) -> Callable[[], None]:
        """Call ``callback`` after every change; returns a function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def _notify(self, change: WorkspaceChange) -> None:
        for callback in list(self._subscribers):
            callback(change)

    # ----------------------------------------------------------------- mirror

    def mirror_state(self) -> str:
        """The storage fingerprint this process's document reflects."""
        return fingerprint_keys(self._known)

    def _open_mirror(self) -> Any:
        if self._mirror is None:
            from goaltui.mirror.store import Mirror

            self._mirror = Mirror.open(self.paths.mirror)
            if self._mirror.needs_rebuild:
                self._mirror_rebuild()
                self._mirror.needs_rebuild = False
            elif self._mirror.state() != self.mirror_state():
                self._catch_up_mirror(self._mirror.heads())
        return self._mirror

    def _catch_up_mirror(self, mirrored: list[bytes] | None) -> None:
        """Bring a mirror that is behind up to date from the heads it reflects.

        Only the records changed since those heads are rewritten (read from the new
        changes, or from an Automerge diff when they cannot tell); a mirror without
        heads, or one the diff cannot map, is rebuilt.
        """
        from goaltui.workspace.incoming import touched_by_changes

        touched = None
        if mirrored:
            touched = touched_by_changes(self._doc, mirrored)
            if touched is None:
                touched = touched_records(self._doc.diff(mirrored, self._doc.get_heads()))
        if touched is None or touched.everything:
            self._mirror_rebuild()
        else:
            self._mirror_apply(sorted(touched.records))

    def ensure_mirror(self) -> None:
        """Bring the mirror up to date with the document."""
        self._open_mirror()

    def _mirror_apply(self, records: Iterable[tuple[str, str]]) -> None:
        mirror = self._open_mirror()
        upserts, deletes = [], []
        for coll_name, record_id in records:
            record = read_record(self._doc, coll_name, record_id)
            if record is None or (coll_name == STRATEGY_ID and not record.data):
                deletes.append((coll_name, record_id))
            else:
                upserts.append(record)
        mirror.apply(upserts, deletes, self.mirror_state(), heads=self._doc.get_heads())

    def rebuild_mirror(self) -> None:
        """Rebuild the mirror from the document, from scratch (``goaltui mirror rebuild``)."""
        self._mirror_rebuild()

    def _mirror_rebuild(self) -> None:
        mirror = self._mirror if self._mirror is not None else self._open_mirror()
        strategy = self.strategy()
        readers: dict[str, Callable[[], Iterable[Record]]] = {
            STRATEGY_ID: lambda: [strategy] if strategy.data else []
        }
        for name in COLLECTIONS:
            readers[name] = partial(iter_records, self._doc, name)
        mirror.rebuild_from(
            readers,
            self.mirror_state(),
            heads=self._doc.get_heads(),
            split=self._record_count() >= SPLIT_REBUILD_AT,
        )

    def _record_count(self) -> int:
        """How many records the collections hold (one ``keys`` call each)."""
        objs = (collection_obj(self._doc, name) for name in COLLECTIONS)
        return sum(len(self._doc.keys(obj)) for obj in objs if obj is not None)

    def _mirror_state_only(self) -> None:
        self._open_mirror().apply([], [], self.mirror_state(), heads=self._doc.get_heads())
