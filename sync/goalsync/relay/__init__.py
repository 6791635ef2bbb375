"""The relay server: content-blind storage and forwarding of automerge-repo documents."""

from __future__ import annotations

from .auth import AllowAll, Authorizer, Principal
from .server import Relay

__all__ = ["AllowAll", "Authorizer", "Principal", "Relay"]
