"""Edits other processes store on the remote host, forwarded to the SSH peer live.

The stdio relay is one per connection, so nothing would tell it that the team lead's TUI
on the server (or another laptop's sync) stored changes in the same data directory: a
``sync --watch`` over SSH would see them only at its next connection. This watcher stats
the storage directories of the documents the peer has open every ``STAT_SECONDS`` (and
re-lists them every ``POLL_SECONDS`` in any case, as file-system times can be coarse);
when a document took in new chunks, the relay's sync for it is sent to its peers.

It reads the relay's router (open documents, their peers, pending work) and sends through
it; everything runs on the event loop, so it never interleaves with a batch being served.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goalsync.relay.server import Relay

__all__ = ["POLL_SECONDS", "STAT_SECONDS", "forward_foreign_edits"]

log = logging.getLogger(__name__)

STAT_SECONDS = 0.05
POLL_SECONDS = 1.0
_KINDS = ("incremental", "snapshot")


def _stamp(relay: Relay, doc_id: str) -> tuple[int | None, ...]:
    path_of = getattr(relay.store.chunks, "path_of", None)
    if path_of is None:
        return ()
    stamps: list[int | None] = []
    for kind in _KINDS:
        try:
            stamps.append(os.stat(path_of((doc_id, kind))).st_mtime_ns)
        except OSError:
            stamps.append(None)
    return tuple(stamps)


def refresh_and_forward(relay: Relay, doc_id: str) -> bool:
    """Take in chunks other processes stored for ``doc_id``; if there were any, send the
    document's peers what they lack. True if the document changed."""
    return relay.router.take_stored_changes(doc_id)


async def forward_foreign_edits(relay: Relay) -> None:
    """Run until cancelled: forward what other processes store to the relay's peers."""
    seen: dict[str, tuple[int | None, ...]] = {}
    listed = time.monotonic()
    while True:
        await asyncio.sleep(STAT_SECONDS)
        full = time.monotonic() - listed >= POLL_SECONDS
        if full:
            listed = time.monotonic()
        for doc_id in list(relay.router.docs):
            stamp = _stamp(relay, doc_id)
            if not full and seen.get(doc_id) == stamp:
                continue
            seen[doc_id] = stamp
            try:
                if refresh_and_forward(relay, doc_id):
                    log.info("forwarded changes stored by another process to %s", doc_id)
            except Exception:  # a damaged chunk must not end the connection
                log.exception("could not take in changes stored for %s", doc_id)
        for doc_id in [d for d in seen if d not in relay.router.docs]:
            del seen[doc_id]
