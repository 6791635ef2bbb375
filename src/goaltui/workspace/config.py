"""A workspace's local settings: which document it is, who "I" am, where to sync."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from goalsync.durable import write_durably
from goaltui.errors import StorageProblem

__all__ = ["WorkspaceConfig", "write_private"]


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically and durably as a 0600 file."""
    write_durably(path, data)


@dataclass
class WorkspaceConfig:
    """Stored as ``workspace.json`` (0600) beside the mirror; never synced."""

    document_id: str
    me: str | None = None  # person id of this device's user
    relay_url: str | None = None
    relay_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> WorkspaceConfig:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            known = {
                k: raw.pop(k) for k in ("document_id", "me", "relay_url", "relay_token") if k in raw
            }
            return cls(**known, extra=raw)
        except (OSError, ValueError, TypeError) as exc:
            raise StorageProblem(
                f"cannot read {path}: {exc}. Fix or remove the file "
                "(it holds only local settings; the goals are in the repo directory)."
            ) from None

    def save(self, path: Path) -> None:
        data = asdict(self)
        extra = data.pop("extra")
        write_private(path, json.dumps({**extra, **data}, indent=2, sort_keys=True).encode())
