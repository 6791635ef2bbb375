"""Device tokens: random secrets that let a device connect to the relay as one team.

Only a SHA-256 hash of each token is stored (a token carries 256 random bits, so a
plain hash cannot be reversed by guessing); the plain token is shown once, by
:meth:`TokenStore.add`. Lookups compare every stored hash in constant time. The file
is re-read when it changes on disk, so ``goaltui relay token revoke`` takes effect on
a running relay at the next connection.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .files import StateFileError, exclusive, read_json, write_json

__all__ = ["TokenEntry", "TokenError", "TokenStore", "hash_token"]

FORMAT = 1
MAX_TOKEN_LENGTH = 256
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class TokenError(ValueError):
    """A token command was given a bad name or team, or a name that does not fit."""


@dataclass(frozen=True)
class TokenEntry:
    """One device token as listed: never the token itself."""

    name: str
    team: str
    created_at: str
    revoked: bool = False


def hash_token(token: str) -> str:
    """The stored form of ``token``."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _check_name(what: str, value: str) -> str:
    if not _NAME.match(value):
        raise TokenError(
            f"{what} {value!r} is not valid: use 1-64 letters, digits, '.', '_', '-' or '@', "
            "starting with a letter or digit"
        )
    return value


class TokenStore:
    """The relay's device tokens, in ``<relay dir>/tokens.json`` (0600)."""

    def __init__(self, relay_dir: Path) -> None:
        self.path = relay_dir / "tokens.json"
        self._lock = relay_dir / "tokens.lock"
        self._stamp: tuple[int, int, int] | None = None
        self._records: list[dict[str, Any]] = []

    # -- reading -----------------------------------------------------------------------

    def _read(self) -> list[dict[str, Any]]:
        data = read_json(self.path)
        if data is None:
            return []
        records = data.get("tokens") if isinstance(data, dict) else None
        if data.get("version") != FORMAT or not isinstance(records, list):
            raise StateFileError(f"{self.path} has an unknown format; is it from a newer goaltui?")
        for record in records:
            if not isinstance(record, dict) or not all(
                isinstance(record.get(k), str) for k in ("name", "team", "created_at", "sha256")
            ):
                raise StateFileError(f"{self.path} holds a damaged entry; restore it from a backup")
        return records

    def _current(self) -> list[dict[str, Any]]:
        """The records, re-read only when the file changed since the last read."""
        try:
            st = os.stat(self.path)
            stamp: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp or stamp is None:
            self._records = self._read()
            self._stamp = stamp
        return self._records

    @staticmethod
    def _entry(record: dict[str, Any]) -> TokenEntry:
        return TokenEntry(
            record["name"], record["team"], record["created_at"], bool(record.get("revoked"))
        )

    def list(self) -> list[TokenEntry]:
        """Every token ever added, oldest first (revoked ones included)."""
        return [self._entry(r) for r in self._current()]

    def verify(self, token: str) -> TokenEntry | None:
        """The live (not revoked) entry for ``token``, or None."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        wanted = hash_token(token)
        found: dict[str, Any] | None = None
        for record in self._current():  # no early exit: same work whatever matches
            if hmac.compare_digest(record["sha256"], wanted):
                found = record
        if found is None or found.get("revoked"):
            return None
        return self._entry(found)

    # -- changing ----------------------------------------------------------------------

    def _write(self, records: builtins.list[dict[str, Any]]) -> None:
        write_json(self.path, {"version": FORMAT, "tokens": records})
        self._stamp = None

    def add(self, name: str, team: str) -> str:
        """Create a token for device ``name`` of ``team``; returns the plain token (once)."""
        _check_name("token name", name)
        _check_name("team", team)
        token = secrets.token_urlsafe(32)
        with exclusive(self._lock):
            records = self._read()
            if any(r["name"] == name for r in records):
                raise TokenError(
                    f"a token named {name!r} already exists; choose another name "
                    "(see 'goaltui relay token list')"
                )
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            records.append(
                {
                    "name": name,
                    "team": team,
                    "created_at": now,
                    "revoked": False,
                    "sha256": hash_token(token),
                }
            )
            self._write(records)
        return token

    def revoke(self, name: str) -> TokenEntry:
        """Revoke the token named ``name``; connections made with it are refused from now."""
        with exclusive(self._lock):
            records = self._read()
            for record in records:
                if record["name"] == name:
                    record["revoked"] = True
                    self._write(records)
                    return self._entry(record)
        raise TokenError(f"no token named {name!r}; see 'goaltui relay token list'")
