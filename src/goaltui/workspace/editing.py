"""Adding, editing, archiving and undoing records: the Workspace's write operations.

Each validates first (``goaltui.model.validate``), then commits one transaction
through ``Workspace._commit`` (durable, mirrored, announced) and remembers how
to undo it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from automerge import core as am

from goaltui.errors import NotFound, StorageProblem
from goaltui.model import Record, collection
from goaltui.model.dates import now_instant
from goaltui.model.schema import STRATEGY, Collection
from goaltui.model.validate import Problem, ValidationError, chain_from, validate_record
from goaltui.workspace.codec import STRATEGY_ID, collection_obj, ensure_collection, write_fields
from goaltui.workspace.ids import new_id
from goaltui.workspace.undo import UndoEntry, UndoStack, previous_values

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["RecordEditing"]


class RecordEditing:
    """Write operations, mixed into ``Workspace`` (which provides the state used here)."""

    if TYPE_CHECKING:
        _doc: am.Document
        _undo: UndoStack

        @property
        def me(self) -> str | None: ...
        def get(self, record_id: str, coll_name: str | None = None) -> Record: ...
        def strategy(self) -> Record: ...
        def _exists(self, coll_name: str, record_id: str) -> bool: ...
        def _lookup(self, coll_name: str, record_id: str) -> dict[str, Any] | None: ...
        def _commit(
            self,
            action: str,
            records: list[tuple[str, str]],
            write: Callable[[am.Transaction], None],
            *,
            fields: Iterable[str] = (),
            summary: str = "",
        ) -> None: ...

    def add(self, kind: str, fields: dict[str, Any], *, author_field: str | None = None) -> str:
        """Add a record of ``kind`` (``goal`` or ``goals``); returns its new id."""
        coll = collection(kind)
        data = {k: v for k, v in fields.items() if v is not None}
        self._stamp_new(coll, data, author_field)
        record_id = new_id()
        clean = validate_record(
            coll,
            data,
            exists=self._exists,
            record_id=record_id,
            parent_chain=chain_from(self._lookup),
            creating=True,
        )

        def write(tx: am.Transaction) -> None:
            parent = ensure_collection(tx, coll.name)
            obj = tx.put_object(parent, record_id, am.ObjType.Map)
            write_fields(tx, obj, coll, clean)

        title = str(clean.get(coll.title_field) or "")
        summary = f"added {coll.kind} {title}".strip()
        self._commit(
            f"add {coll.kind}", [(coll.name, record_id)], write, fields=clean, summary=summary
        )
        self._undo.push(UndoEntry(summary, coll.name, record_id, None))
        return record_id

    def _stamp_new(self, coll: Collection, data: dict[str, Any], author_field: str | None) -> None:
        now = now_instant()
        if "created_at" in coll.field_map:
            data.setdefault("created_at", now)
            if self.me:
                data.setdefault("created_by", self.me)
        if "at" in coll.field_map:
            data.setdefault("at", now)
        if author_field and self.me and author_field in coll.field_map:
            data.setdefault(author_field, self.me)

    def edit(self, record_id: str, fields: dict[str, Any]) -> None:
        """Change some fields of a record; a value of None unsets the field."""
        record = self.get(record_id)
        if record.collection == STRATEGY_ID:
            self.set_strategy(fields)
            return
        coll = collection(record.collection)
        clean = validate_record(
            coll,
            dict(fields),
            exists=self._exists,
            record_id=record_id,
            parent_chain=chain_from(self._lookup),
            creating=False,
            current=record.data,
        )
        unset_required = [
            f.name for f in coll.fields if f.required and f.name in clean and clean[f.name] is None
        ]
        if unset_required:
            raise ValidationError(Problem(unset_required[0], "is required; it cannot be unset"))

        def write(tx: am.Transaction) -> None:
            parent = collection_obj(tx, coll.name)
            got = tx.get(parent, record_id) if parent is not None else None
            if got is None:
                raise NotFound(f"record {record_id} disappeared")
            write_fields(tx, got[1], coll, clean)

        summary = f"edited {coll.kind} {record.title}".strip()
        self._commit(
            f"edit {coll.kind}", [(coll.name, record_id)], write, fields=clean, summary=summary
        )
        self._undo.push(
            UndoEntry(summary, coll.name, record_id, previous_values(dict(record.data), clean))
        )

    def archive(self, record_id: str, archived: bool = True) -> None:
        """Archive (or restore) a record; append-only kinds cannot be archived."""
        record = self.get(record_id)
        coll = collection(record.collection)
        if not coll.archivable:
            raise StorageProblem(
                f"{coll.kind} records are append-only and cannot be archived; "
                "add a new one that supersedes it instead"
            )
        self.edit(record_id, {"archived": archived or None})

    def set_strategy(self, fields: dict[str, Any]) -> None:
        """Set the vision and/or mission (Text fields, merged per character)."""
        clean = validate_record(STRATEGY, dict(fields), exists=self._exists, creating=False)
        previous = previous_values(dict(self.strategy().data), clean)
        summary = "edited " + " and ".join(sorted(clean))
        self._write_strategy(clean, summary)
        self._undo.push(UndoEntry(summary, STRATEGY_ID, STRATEGY_ID, previous))

    def _write_strategy(
        self, clean: dict[str, Any], summary: str, action: str = "edit strategy"
    ) -> None:
        def write(tx: am.Transaction) -> None:
            got = tx.get(am.ROOT, "strategy")
            obj = got[1] if got is not None else tx.put_object(am.ROOT, "strategy", am.ObjType.Map)
            write_fields(tx, obj, STRATEGY, clean)

        self._commit(action, [(STRATEGY_ID, STRATEGY_ID)], write, fields=clean, summary=summary)

    def undo(self) -> str | None:
        """Reverse this session's last edit; returns what was undone, or None if nothing."""
        entry = self._undo.pop()
        if entry is None:
            return None
        summary = f"undid: {entry.description}"
        if entry.collection == STRATEGY_ID:
            self._write_strategy(entry.previous or {}, summary, action="undo")
            return entry.description
        coll_name, record_id, previous = entry.collection, entry.record_id, entry.previous

        def write(tx: am.Transaction) -> None:
            parent = collection_obj(tx, coll_name)
            got = tx.get(parent, record_id) if parent is not None else None
            if parent is None or got is None:
                raise NotFound(f"cannot undo: {entry.description} (the record is gone)")
            if previous is None:
                tx.delete(parent, record_id)
            else:
                write_fields(tx, got[1], collection(coll_name), previous)

        self._commit(
            "undo", [(coll_name, record_id)], write, fields=previous or {}, summary=summary
        )
        return entry.description
