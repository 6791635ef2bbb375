"""Token authentication and team ownership of documents, for :class:`~.server.Relay`.

A connection presents a device token, as ``Authorization: Bearer <token>`` or, for
stock JS clients that cannot set headers, as a ``token`` query parameter of the URL.
A document belongs to the team whose token first stored it; other teams see it as
missing. Tokens never reach a log: only the token's name does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .auth import Principal
from .owners import OwnerRegistry
from .tokens import TokenStore

__all__ = ["TeamAuthorizer", "token_from_request"]

log = logging.getLogger(__name__)


def token_from_request(path: str, headers: Mapping[str, str]) -> str | None:
    """The token of an upgrade request: the Bearer header first, else ``?token=``."""
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    values = parse_qs(urlsplit(path).query).get("token")
    return values[0] if values else None


class TeamAuthorizer:
    """Authorizer + Ownership backed by the relay's token and owner files."""

    def __init__(self, relay_dir: Path, *, max_docs_per_token: int = 1000) -> None:
        self.tokens = TokenStore(relay_dir)
        self.owners = OwnerRegistry(relay_dir)
        self.max_docs_per_token = max_docs_per_token

    def authenticate(self, path: str, headers: Mapping[str, str]) -> Principal | None:
        token = token_from_request(path, headers)
        if token is None:
            log.info("refused a connection without a token")
            return None
        entry = self.tokens.verify(token)
        if entry is None:
            log.info("refused a connection with an unknown or revoked token")
            return None
        return Principal(entry.name, entry.team)

    def may_access(self, principal: Principal, doc_id: str) -> bool:
        owner = self.owners.owner(doc_id)
        return owner is None or owner.team == principal.team

    def claim(self, principal: Principal, doc_id: str) -> bool:
        owner = self.owners.owner(doc_id)
        if owner is not None:
            return owner.team == principal.team
        if principal.team is None:
            return False
        if self.owners.count(principal.name) >= self.max_docs_per_token:
            log.warning(
                "token %r reached its limit of %d documents; refused to store %s",
                principal.name,
                self.max_docs_per_token,
                doc_id,
            )
            return False
        return self.owners.claim(doc_id, principal.team, principal.name).team == principal.team

    def release(self, principal: Principal, doc_id: str) -> None:
        owner = self.owners.owner(doc_id)
        if owner is not None and owner.token == principal.name:
            self.owners.release(doc_id)

    def still_valid(self, principal: Principal) -> bool:
        for entry in self.tokens.list():
            if entry.name == principal.name:
                return not entry.revoked and entry.team == principal.team
        return False
