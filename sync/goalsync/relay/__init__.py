"""The relay server: content-blind storage and forwarding of automerge-repo documents."""

from __future__ import annotations

from .access import TeamAuthorizer, token_from_request
from .auth import AllowAll, Authorizer, Ownership, Principal
from .limits import RelayLimits
from .runner import RelayConfig, RelayStartError, build_relay, relay_dirs, run_relay
from .server import Relay
from .tokens import TokenEntry, TokenError, TokenStore

__all__ = [
    "AllowAll",
    "Authorizer",
    "Ownership",
    "Principal",
    "Relay",
    "RelayConfig",
    "RelayLimits",
    "RelayStartError",
    "TeamAuthorizer",
    "TokenEntry",
    "TokenError",
    "TokenStore",
    "build_relay",
    "relay_dirs",
    "run_relay",
    "token_from_request",
]
