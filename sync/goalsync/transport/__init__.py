"""Transports that carry the sync protocol where a plain WebSocket cannot go: over SSH.

``goaltui sync ssh://[user@]host[:port][/data/dir]`` runs ``goaltui relay --stdio`` on
the remote host and speaks the ordinary WebSocket protocol through the SSH channel
(:mod:`.ssh`, the client side; :mod:`.stdio`, the remote side). No server to run, no
port to open: SSH authenticates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from goalsync.lazy import lazy_getattr

if TYPE_CHECKING:
    from .ssh import SshTarget, SshTransport, SshUrlError, is_ssh_url, parse_ssh_url, ssh_transport
    from .stdio import OneTimeToken, StdioError, serve_stdio, take_stdio

__all__ = [
    "OneTimeToken",
    "SshTarget",
    "SshTransport",
    "SshUrlError",
    "StdioError",
    "is_ssh_url",
    "parse_ssh_url",
    "serve_stdio",
    "ssh_transport",
    "take_stdio",
]

_SSH = ("SshTarget", "SshTransport", "SshUrlError", "is_ssh_url", "parse_ssh_url", "ssh_transport")
_WHERE = {name: f"{__name__}.{'ssh' if name in _SSH else 'stdio'}" for name in __all__}
__getattr__ = lazy_getattr(__name__, globals(), _WHERE)
