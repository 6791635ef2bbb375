"""The sync engine: per-document sync states, status, and the WebSocket client."""

from __future__ import annotations

from .docsync import DocSync, ReceiveResult
from .status import StatusTracker, SyncStatus
from .syncmsg import RejectedMessage, SyncMessageInfo, inspect_sync_message

__all__ = [
    "DocSync",
    "ReceiveResult",
    "RejectedMessage",
    "StatusTracker",
    "SyncMessageInfo",
    "SyncStatus",
    "inspect_sync_message",
]
