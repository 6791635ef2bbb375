"""The automerge-repo wire protocol: document ids and the CBOR message codec.

Exports are lazy (``goalsync.lazy``): ids alone do not import the codec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from goalsync.lazy import lazy_getattr

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

_WHERE = {
    "DocUnavailable": "goalsync.protocol.messages",
    "Ephemeral": "goalsync.protocol.messages",
    "Error": "goalsync.protocol.messages",
    "InvalidDocumentId": "goalsync.protocol.docid",
    "Join": "goalsync.protocol.messages",
    "Leave": "goalsync.protocol.messages",
    "Message": "goalsync.protocol.messages",
    "PROTOCOL_VERSION": "goalsync.protocol.messages",
    "Peer": "goalsync.protocol.messages",
    "PeerMetadata": "goalsync.protocol.messages",
    "ProtocolError": "goalsync.protocol.cbor",
    "RemoteHeads": "goalsync.protocol.messages",
    "RemoteHeadsChanged": "goalsync.protocol.messages",
    "RemoteSubscriptionChange": "goalsync.protocol.messages",
    "Request": "goalsync.protocol.messages",
    "Sync": "goalsync.protocol.messages",
    "decode": "goalsync.protocol.messages",
    "encode": "goalsync.protocol.messages",
    "from_uuid": "goalsync.protocol.docid",
    "new_document_id": "goalsync.protocol.docid",
    "parse_url": "goalsync.protocol.docid",
    "to_url": "goalsync.protocol.docid",
    "validate_document_id": "goalsync.protocol.docid",
}
__getattr__ = lazy_getattr(__name__, globals(), _WHERE)

if TYPE_CHECKING:
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
