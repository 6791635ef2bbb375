"""Typed, read-only views of the records of a workspace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from goaltui.model.schema import Collection, collection

__all__ = ["Record"]


@dataclass(frozen=True)
class Record(Mapping[str, Any]):
    """One record: its collection, its id and its fields (plain Python values).

    Fields read as attributes (``goal.title``) or as a mapping (``goal["title"]``);
    a field the record does not have reads as None through attribute access.
    Text fields are ``str``, ``refs`` fields ``list[str]``, ``smart`` a ``dict``.
    """

    collection: str
    id: str
    data: Mapping[str, Any]

    @property
    def spec(self) -> Collection:
        """The collection's schema."""
        return collection(self.collection)

    @property
    def kind(self) -> str:
        """The singular kind, e.g. ``goal``."""
        return self.spec.kind

    @property
    def title(self) -> str:
        """What names this record in a list."""
        value = self.data.get(self.spec.title_field)
        return "" if value is None else str(value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        data = object.__getattribute__(self, "data")
        return data.get(name)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object with its ``id`` first."""
        return {"id": self.id, **self.data}
