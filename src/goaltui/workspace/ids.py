"""Record ids: ULIDs — random, sortable by creation time, never reused.

Written here rather than taken from python-ulid: that package reads its own
version through importlib.metadata when imported, which cost ~30 ms on every
command; a ULID is 48 bits of milliseconds and 80 random bits in Crockford's
base32, which is all this module does.
"""

from __future__ import annotations

import os
import time

__all__ = ["new_id"]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    """A new ULID string (26 characters, Crockford base32, time-ordered)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))
