"""The relay's authorization hook: who may connect, and which documents they may sync.

Token checks and access lists plug in here later; the relay asks at the WebSocket
upgrade and again for every document a peer touches, and answers "denied" exactly
like "missing" (``doc-unavailable``) so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["AllowAll", "Authorizer", "Principal"]


@dataclass(frozen=True)
class Principal:
    """Who a connection authenticated as."""

    name: str


class Authorizer(Protocol):
    """Decides access; both methods run on the event loop and must be quick."""

    def authenticate(self, path: str, headers: Mapping[str, str]) -> Principal | None:
        """The principal for an upgrade request, or None to answer HTTP 401."""
        ...

    def may_access(self, principal: Principal, doc_id: str) -> bool:
        """True if ``principal`` may read and write document ``doc_id``."""
        ...


class AllowAll:
    """No authentication: for loopback use and tests only."""

    def authenticate(self, path: str, headers: Mapping[str, str]) -> Principal | None:
        return Principal("anonymous")

    def may_access(self, principal: Principal, doc_id: str) -> bool:
        return True
