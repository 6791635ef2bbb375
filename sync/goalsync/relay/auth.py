"""The relay's authorization hooks: who may connect, and which documents they may sync.

The relay asks at the WebSocket upgrade and again for every document a peer touches,
and answers "denied" exactly like "missing" (``doc-unavailable``) so ids cannot be
probed. An authorizer that also implements :class:`Ownership` is told when a peer is
about to store a new document, can refuse it (a quota), and can withdraw a connected
principal (a revoked token).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["AllowAll", "Authorizer", "Ownership", "Principal"]


@dataclass(frozen=True)
class Principal:
    """Who a connection authenticated as: a device (token) name and its team."""

    name: str
    team: str | None = None


class Authorizer(Protocol):
    """Decides access; both methods run on the event loop and must be quick."""

    def authenticate(self, path: str, headers: Mapping[str, str]) -> Principal | None:
        """The principal for an upgrade request, or None to answer HTTP 401."""
        ...

    def may_access(self, principal: Principal, doc_id: str) -> bool:
        """True if ``principal`` may read and write document ``doc_id``."""
        ...


@runtime_checkable
class Ownership(Protocol):
    """Optional: documents belong to whoever stores them first."""

    def claim(self, principal: Principal, doc_id: str) -> bool:
        """Before ``principal`` stores content in ``doc_id``: True if it may (it then owns
        the document unless it already had an owner it may access), False to refuse."""
        ...

    def release(self, principal: Principal, doc_id: str) -> None:
        """Undo a claim whose document got no content after all."""
        ...

    def still_valid(self, principal: Principal) -> bool:
        """False once the principal's credentials were revoked."""
        ...


class AllowAll:
    """No authentication: for loopback use and tests only."""

    def authenticate(self, path: str, headers: Mapping[str, str]) -> Principal | None:
        return Principal("anonymous")

    def may_access(self, principal: Principal, doc_id: str) -> bool:
        return True
