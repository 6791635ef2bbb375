"""The automerge-repo wire messages (PROTOCOL.md §1.3–1.4): dataclasses and codec.

:func:`decode` validates strictly and raises only :class:`ProtocolError`, so a
relay or peer can feed it any frame from the network. CBOR ``undefined`` counts
as absent, unknown fields are ignored, except that an :class:`Ephemeral` keeps
them in ``extra`` so it can be forwarded intact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias

import cbor2

from .cbor import UNDEFINED, ProtocolError, loads_strict
from .docid import InvalidDocumentId, validate_document_id

__all__ = [
    "DEFAULT_MAX_SIZE",
    "PROTOCOL_VERSION",
    "DocUnavailable",
    "Ephemeral",
    "Error",
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
    "UnknownMessageType",
    "decode",
    "encode",
]

PROTOCOL_VERSION = "1"
DEFAULT_MAX_SIZE = 64 * 1024 * 1024
MAX_ID_LENGTH = 256  # peer ids, storage ids, session ids
MAX_TEXT_LENGTH = 4096  # error messages, protocol version strings
MAX_LIST_LENGTH = 1024  # protocol versions, storage ids, heads
MAX_DEPTH = 8
MAX_SAFE_INT = 2**53 - 1


@dataclass(frozen=True)
class PeerMetadata:
    """What a peer says about itself: its persistent store id, and whether it is ephemeral."""

    storage_id: str | None = None
    is_ephemeral: bool | None = None


@dataclass(frozen=True)
class Join:
    """First message of a connection, from the connecting side."""

    TYPE: ClassVar[str] = "join"
    sender_id: str
    peer_metadata: PeerMetadata | None = None
    supported_protocol_versions: tuple[str, ...] | None = (PROTOCOL_VERSION,)


@dataclass(frozen=True)
class Peer:
    """The accepting side's answer to a :class:`Join`."""

    TYPE: ClassVar[str] = "peer"
    sender_id: str
    target_id: str
    peer_metadata: PeerMetadata | None = None
    selected_protocol_version: str | None = PROTOCOL_VERSION


@dataclass(frozen=True)
class Leave:
    """repo 1.x's goodbye; repo 2.x just closes the socket."""

    TYPE: ClassVar[str] = "leave"
    sender_id: str


@dataclass(frozen=True)
class Error:
    """A refusal, e.g. "unsupported protocol version"; the socket closes after it."""

    TYPE: ClassVar[str] = "error"
    sender_id: str
    target_id: str | None
    message: str


@dataclass(frozen=True)
class Sync:
    """One Automerge sync message for one document."""

    TYPE: ClassVar[str] = "sync"
    sender_id: str
    target_id: str
    document_id: str
    data: bytes


@dataclass(frozen=True)
class Request:
    """Like :class:`Sync`, sent by a peer that has no heads: "do you have this document?"."""

    TYPE: ClassVar[str] = "request"
    sender_id: str
    target_id: str
    document_id: str
    data: bytes


@dataclass(frozen=True)
class DocUnavailable:
    """Answer to a :class:`Request` for a document the peer does not have."""

    TYPE: ClassVar[str] = "doc-unavailable"
    sender_id: str
    target_id: str
    document_id: str


@dataclass(frozen=True)
class Ephemeral:
    """Unpersisted application data (e.g. presence); ``extra`` keeps unknown fields."""

    TYPE: ClassVar[str] = "ephemeral"
    sender_id: str
    target_id: str
    document_id: str
    session_id: str
    count: int
    data: bytes
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteSubscriptionChange:
    """Remote-heads gossip subscription (disabled by default everywhere; ignored)."""

    TYPE: ClassVar[str] = "remote-subscription-change"
    sender_id: str
    target_id: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoteHeads:
    """Heads a storage id was last seen at; the head strings' format differs by repo version."""

    heads: tuple[str, ...]
    timestamp: float


@dataclass(frozen=True)
class RemoteHeadsChanged:
    """Remote-heads gossip (disabled by default everywhere; ignored)."""

    TYPE: ClassVar[str] = "remote-heads-changed"
    sender_id: str
    target_id: str
    document_id: str
    new_heads: Mapping[str, RemoteHeads]


Message: TypeAlias = (
    Join
    | Peer
    | Leave
    | Error
    | Sync
    | Request
    | DocUnavailable
    | Ephemeral
    | RemoteSubscriptionChange
    | RemoteHeadsChanged
)


# ---------------------------------------------------------------- encoding


def _metadata_to_wire(meta: PeerMetadata) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if meta.storage_id is not None:
        out["storageId"] = meta.storage_id
    if meta.is_ephemeral is not None:
        out["isEphemeral"] = meta.is_ephemeral
    return out


def _to_wire(msg: Message) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(msg, Ephemeral):
        out.update(msg.extra)
    out["type"] = msg.TYPE
    out["senderId"] = msg.sender_id
    target = getattr(msg, "target_id", None)
    if target is not None:
        out["targetId"] = target
    if isinstance(msg, (Join, Peer)) and msg.peer_metadata is not None:
        out["peerMetadata"] = _metadata_to_wire(msg.peer_metadata)
    if isinstance(msg, Join) and msg.supported_protocol_versions is not None:
        out["supportedProtocolVersions"] = list(msg.supported_protocol_versions)
    if isinstance(msg, Peer) and msg.selected_protocol_version is not None:
        out["selectedProtocolVersion"] = msg.selected_protocol_version
    if isinstance(msg, Error):
        out["message"] = msg.message
    if isinstance(msg, (Sync, Request, DocUnavailable, Ephemeral, RemoteHeadsChanged)):
        out["documentId"] = msg.document_id
    if isinstance(msg, (Sync, Request, Ephemeral)):
        if not msg.data:
            raise ValueError("refusing to encode a message with empty data (JS peers drop it)")
        out["data"] = bytes(msg.data)
    if isinstance(msg, Ephemeral):
        out["sessionId"] = msg.session_id
        out["count"] = msg.count
    if isinstance(msg, RemoteSubscriptionChange):
        if msg.add:
            out["add"] = list(msg.add)
        if msg.remove:
            out["remove"] = list(msg.remove)
    if isinstance(msg, RemoteHeadsChanged):
        out["newHeads"] = {
            sid: {"heads": list(rh.heads), "timestamp": rh.timestamp}
            for sid, rh in msg.new_heads.items()
        }
    return out


def encode(msg: Message) -> bytes:
    """The CBOR frame for ``msg``."""
    return cbor2.dumps(_to_wire(msg))


# ---------------------------------------------------------------- decoding


class UnknownMessageType(ProtocolError):
    """A well-formed map whose ``type`` this version does not know; peers may ignore it."""


class _Fields:
    """Typed access to a decoded map; every failure is a ProtocolError naming the field."""

    def __init__(self, kind: str, raw: dict[str, Any]) -> None:
        self.kind = kind
        self.raw = raw

    def get(self, key: str) -> Any:
        value = self.raw.get(key)
        return None if value is UNDEFINED else value

    def fail(self, key: str, problem: str) -> ProtocolError:
        return ProtocolError(f"{self.kind} message: field {key!r} {problem}")

    def text(self, key: str, *, required: bool = True, limit: int = MAX_ID_LENGTH) -> Any:
        value = self.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is missing")
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {type(value).__name__}")
        if len(value) > limit:
            raise self.fail(key, f"is longer than {limit} characters")
        return value

    def peer_id(self, key: str, *, required: bool = True) -> Any:
        value = self.text(key, required=required)
        if value == "":
            raise self.fail(key, "is empty")
        return value

    def document_id(self) -> str:
        value: str = self.text("documentId")
        try:
            validate_document_id(value)
        except InvalidDocumentId as exc:
            raise self.fail("documentId", f"is invalid: {exc}") from None
        return value

    def data(self, max_size: int) -> bytes:
        value = self.get("data")
        if value is None:
            raise self.fail("data", "is missing")
        if not isinstance(value, bytes):
            raise self.fail("data", f"must be a byte string, not {type(value).__name__}")
        if not value:
            raise self.fail("data", "is empty")
        if len(value) > max_size:
            raise self.fail("data", f"is larger than {max_size} bytes")
        return value

    def count(self) -> int:
        value = self.get("count")
        if value is None:
            raise self.fail("count", "is missing")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail("count", f"must be an integer, not {type(value).__name__}")
        if not 0 <= value <= MAX_SAFE_INT:
            raise self.fail("count", f"must be between 0 and {MAX_SAFE_INT}")
        return value

    def text_list(self, key: str, *, required: bool = False) -> tuple[str, ...] | None:
        value = self.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is missing")
            return None
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list, not {type(value).__name__}")
        if len(value) > MAX_LIST_LENGTH:
            raise self.fail(key, f"has more than {MAX_LIST_LENGTH} entries")
        for item in value:
            if not isinstance(item, str) or len(item) > MAX_ID_LENGTH:
                raise self.fail(key, "must hold only (short) strings")
        return tuple(value)

    def metadata(self) -> PeerMetadata | None:
        value = self.get("peerMetadata")
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail("peerMetadata", f"must be a map, not {type(value).__name__}")
        inner = _Fields(f"{self.kind} peerMetadata", value)
        storage_id = inner.text("storageId", required=False)
        ephemeral = inner.get("isEphemeral")
        if ephemeral is not None and not isinstance(ephemeral, bool):
            raise inner.fail("isEphemeral", "must be a boolean")
        return PeerMetadata(storage_id=storage_id, is_ephemeral=ephemeral)

    def new_heads(self) -> dict[str, RemoteHeads]:
        value = self.get("newHeads")
        if not isinstance(value, dict):
            raise self.fail("newHeads", "must be a map")
        if len(value) > MAX_LIST_LENGTH:
            raise self.fail("newHeads", f"has more than {MAX_LIST_LENGTH} entries")
        result: dict[str, RemoteHeads] = {}
        for sid, entry in value.items():
            if len(sid) > MAX_ID_LENGTH or not isinstance(entry, dict):
                raise self.fail("newHeads", "must map storage ids to {heads, timestamp}")
            inner = _Fields(f"{self.kind} newHeads entry", entry)
            heads = inner.text_list("heads", required=True) or ()
            stamp = inner.get("timestamp")
            if (
                isinstance(stamp, bool)
                or not isinstance(stamp, (int, float))
                or not math.isfinite(stamp)
            ):
                raise inner.fail("timestamp", "must be a finite number")
            result[sid] = RemoteHeads(heads=heads, timestamp=stamp)
        return result


def _join(f: _Fields, max_size: int) -> Join:
    versions = f.text_list("supportedProtocolVersions")
    return Join(f.peer_id("senderId"), f.metadata(), versions)


def _peer(f: _Fields, max_size: int) -> Peer:
    version = f.text("selectedProtocolVersion", required=False, limit=MAX_TEXT_LENGTH)
    return Peer(f.peer_id("senderId"), f.peer_id("targetId"), f.metadata(), version)


def _leave(f: _Fields, max_size: int) -> Leave:
    return Leave(f.peer_id("senderId"))


def _error(f: _Fields, max_size: int) -> Error:
    message = f.text("message", limit=MAX_TEXT_LENGTH)
    return Error(f.peer_id("senderId"), f.peer_id("targetId", required=False), message)


def _sync(f: _Fields, max_size: int) -> Sync:
    return Sync(f.peer_id("senderId"), f.peer_id("targetId"), f.document_id(), f.data(max_size))


def _request(f: _Fields, max_size: int) -> Request:
    args = (f.peer_id("senderId"), f.peer_id("targetId"), f.document_id(), f.data(max_size))
    return Request(*args)


def _unavailable(f: _Fields, max_size: int) -> DocUnavailable:
    return DocUnavailable(f.peer_id("senderId"), f.peer_id("targetId"), f.document_id())


_EPHEMERAL_KNOWN = {"type", "senderId", "targetId", "documentId", "sessionId", "count", "data"}


def _ephemeral(f: _Fields, max_size: int) -> Ephemeral:
    extra = {k: v for k, v in f.raw.items() if k not in _EPHEMERAL_KNOWN}
    return Ephemeral(
        sender_id=f.peer_id("senderId"),
        target_id=f.peer_id("targetId"),
        document_id=f.document_id(),
        session_id=f.text("sessionId"),
        count=f.count(),
        data=f.data(max_size),
        extra=extra,
    )


def _subscription(f: _Fields, max_size: int) -> RemoteSubscriptionChange:
    add = f.text_list("add") or ()
    remove = f.text_list("remove") or ()
    return RemoteSubscriptionChange(f.peer_id("senderId"), f.peer_id("targetId"), add, remove)


def _heads_changed(f: _Fields, max_size: int) -> RemoteHeadsChanged:
    sender, target, doc_id = f.peer_id("senderId"), f.peer_id("targetId"), f.document_id()
    return RemoteHeadsChanged(sender, target, doc_id, f.new_heads())


_DECODERS: dict[str, Callable[[_Fields, int], Message]] = {
    "join": _join,
    "peer": _peer,
    "leave": _leave,
    "error": _error,
    "sync": _sync,
    "request": _request,
    "doc-unavailable": _unavailable,
    "ephemeral": _ephemeral,
    "remote-subscription-change": _subscription,
    "remote-heads-changed": _heads_changed,
}


def decode(frame: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> Message:
    """Decode and validate one frame; raises :class:`ProtocolError` and nothing else."""
    if not isinstance(frame, (bytes, bytearray, memoryview)):
        raise ProtocolError(f"frames must be binary, not {type(frame).__name__}")
    if len(frame) > max_size:
        raise ProtocolError(f"frame of {len(frame)} bytes exceeds the limit of {max_size}")
    raw = loads_strict(bytes(frame), max_depth=MAX_DEPTH)
    if not isinstance(raw, dict):
        raise ProtocolError(f"a message must be a CBOR map, not {type(raw).__name__}")
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("message has no 'type' string")
    decoder = _DECODERS.get(kind)
    if decoder is None:
        raise UnknownMessageType(f"unknown message type {kind[:64]!r}")
    return decoder(_Fields(kind, raw), max_size)
