"""The automerge-repo wire protocol: document ids and the CBOR message codec."""

from __future__ import annotations

from .cbor import ProtocolError
from .docid import (
    InvalidDocumentId,
    from_uuid,
    new_document_id,
    parse_url,
    to_url,
    validate_document_id,
)
from .messages import (
    PROTOCOL_VERSION,
    DocUnavailable,
    Ephemeral,
    Error,
    Join,
    Leave,
    Message,
    Peer,
    PeerMetadata,
    RemoteHeads,
    RemoteHeadsChanged,
    RemoteSubscriptionChange,
    Request,
    Sync,
    decode,
    encode,
)

__all__ = [
    "PROTOCOL_VERSION",
    "DocUnavailable",
    "Ephemeral",
    "Error",
    "InvalidDocumentId",
    "Join",
    "Leave",
    "Message",
    "Peer",
    "PeerMetadata",
    "ProtocolError",
    "RemoteHeads",
    "RemoteHeadsChanged",
    "RemoteSubscriptionChange",
    "Request",
    "Sync",
    "decode",
    "encode",
    "from_uuid",
    "new_document_id",
    "parse_url",
    "to_url",
    "validate_document_id",
]
