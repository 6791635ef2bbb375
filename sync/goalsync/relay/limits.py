"""The relay's resource limits, and the token bucket that enforces the message rate."""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["RelayLimits", "TokenBucket"]


@dataclass(frozen=True)
class RelayLimits:
    """Limits per connection and per token; the defaults suit teams of a few hundred devices.

    ``idle_timeout`` counts only frames a client sends: WebSocket pongs (answers to the
    relay's keepalive pings) do not keep a connection open, so a silent client is closed
    after that long and simply reconnects when it has something to say.
    """

    max_frame: int = 64 * 1024 * 1024  # bytes; a bigger frame closes that socket (1009)
    rate: float = 200.0  # messages per second, sustained, per connection
    burst: int = 2000  # messages a connection may send at once (a client opening many docs)
    max_docs_per_token: int = 1000  # documents one token may create
    join_timeout: float = 10.0  # seconds from the upgrade to the join message
    idle_timeout: float = 30 * 60.0  # seconds without a frame from the client
    ping_interval: float = 20.0  # keepalive pings, this often
    # A peer not answering a ping within this closes. Generous: a client that is alive
    # but busy answers late, and closing it costs a reconnect and a full resync (under
    # overload that fed on itself: see docs/relay.md); a dead one still goes in a minute.
    ping_timeout: float = 60.0
    recheck_interval: float = 5.0  # how often open connections' tokens are re-checked
    max_unread: int = 96 * 1024 * 1024  # bytes queued for a peer that does not read: dropped

    def __post_init__(self) -> None:
        for name in ("max_frame", "rate", "burst", "max_docs_per_token", "max_unread"):
            if getattr(self, name) <= 0:
                raise ValueError(f"relay limit {name} must be positive")
        for name in (
            "join_timeout",
            "idle_timeout",
            "ping_interval",
            "ping_timeout",
            "recheck_interval",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"relay limit {name} must be a positive number of seconds")


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; each message takes one."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        """Take one token; False when the bucket is empty (the sender is flooding)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True
