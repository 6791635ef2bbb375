"""Which team owns each document: the team whose token first stored it.

One small file per document, ``<relay dir>/owners/<documentId>.json``, outside the
nodefs tree so the official server can still serve the repo directory. A claim is
created with an atomic link, so the first claim wins even between processes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from goalsync.protocol.docid import InvalidDocumentId, validate_document_id

from .files import StateFileError, private_dir, read_json, write_json

__all__ = ["Owner", "OwnerRegistry"]


@dataclass(frozen=True)
class Owner:
    """The owning team of a document, and the token (device) that created it."""

    team: str
    token: str
    created_at: str = ""


class OwnerRegistry:
    """Document ownership, cached in memory; counts documents per token for quotas."""

    def __init__(self, relay_dir: Path) -> None:
        self.dir = relay_dir / "owners"
        self._owners: dict[str, Owner] = {}
        self._per_token: dict[str, int] = {}
        self._scan()

    def _path(self, doc_id: str) -> Path:
        validate_document_id(doc_id)  # base58 only: a safe file name
        return self.dir / f"{doc_id}.json"

    def _scan(self) -> None:
        if not self.dir.is_dir():
            return
        for path in self.dir.glob("*.json"):
            doc_id = path.stem
            with contextlib.suppress(InvalidDocumentId):
                owner = self._read(path)
                if owner is not None:
                    self._remember(doc_id, owner)

    def _read(self, path: Path) -> Owner | None:
        data = read_json(path)
        if data is None:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("team"), str):
            raise StateFileError(f"{path} is damaged; restore it from a backup of the data dir")
        return Owner(data["team"], str(data.get("token", "")), str(data.get("created_at", "")))

    def _remember(self, doc_id: str, owner: Owner) -> None:
        self._owners[doc_id] = owner
        self._per_token[owner.token] = self._per_token.get(owner.token, 0) + 1

    def owner(self, doc_id: str) -> Owner | None:
        """The owner of ``doc_id``, or None if no team has stored it yet."""
        return self._owners.get(doc_id)

    def count(self, token: str) -> int:
        """How many documents the token named ``token`` created."""
        return self._per_token.get(token, 0)

    def claim(self, doc_id: str, team: str, token: str) -> Owner:
        """Make ``team`` the owner unless someone already is; returns the owner."""
        existing = self.owner(doc_id)
        if existing is not None:
            return existing
        path = self._path(doc_id)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        owner = Owner(team, token, now)
        private_dir(self.dir)
        record = {"team": team, "token": token, "created_at": now}
        if not write_json(path, record, replace=False):
            owner = self._read(path) or owner  # another process won the race
        self._remember(doc_id, owner)
        return owner

    def release(self, doc_id: str) -> None:
        """Forget a claim whose document never got any content."""
        owner = self._owners.pop(doc_id, None)
        if owner is None:
            return
        self._per_token[owner.token] -= 1
        with contextlib.suppress(FileNotFoundError):
            self._path(doc_id).unlink()
