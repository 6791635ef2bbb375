"""The wire codec: round trips, frames made by JS cbor-x, strict rejection, fuzzing."""

from __future__ import annotations

import contextlib
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goalsync.protocol.messages import (
    DocUnavailable,
    Ephemeral,
    Error,
    Join,
    Leave,
    Message,
    Peer,
    PeerMetadata,
    ProtocolError,
    RemoteHeads,
    RemoteHeadsChanged,
    RemoteSubscriptionChange,
    Request,
    Sync,
    decode,
    encode,
)

DOC = "3cBCc8hBcyKJU9Lb5ZJe7HhXae45"  # made by JS automerge-repo 2.5.6
EMPTY_SYNC = bytes.fromhex("42000001000000")
LIMIT = 1 << 20

ALL_MESSAGES: list[Message] = [
    Join("py-1", PeerMetadata(None, True), ("1",)),
    Join("py-1", None, None),
    Peer("server", "py-1", PeerMetadata("5f1c7a3e-0000-4000-8000-000000000000", False), "1"),
    Leave("py-1"),
    Error("server", "py-1", "unsupported protocol version"),
    Error("server", None, "no target"),
    Sync("a", "b", DOC, b"\x42\x01"),
    Request("a", "b", DOC, EMPTY_SYNC),
    DocUnavailable("b", "a", DOC),
    Ephemeral("a", "b", DOC, "session", 7, cbor2.dumps({"cursor": 3})),
    Ephemeral("a", "b", DOC, "session", 0, b"x", {"extra": ["kept", 1]}),
    RemoteSubscriptionChange("a", "b", ("s1",), ("s2", "s3")),
    RemoteSubscriptionChange("a", "b"),
    RemoteHeadsChanged("a", "b", DOC, {"s1": RemoteHeads(("h1", "h2"), 1700000000000)}),
]


@pytest.mark.parametrize("msg", ALL_MESSAGES, ids=lambda m: type(m).__name__)
def test_round_trip(msg: Message) -> None:
    assert decode(encode(msg), max_size=LIMIT) == msg


# Frames produced by cbor-x through automerge-repo 2.5.6's exported `cbor.encode` (node 20);
# note the non-minimal map headers (b9 00 04) and the `undefined` storageId.
JS_JOIN = bytes.fromhex(
    "b900046474797065646a6f696e6873656e64657249646e706565722d766c3132696a3876716c7065"
    "65724d65746164617461b900026973746f726167654964f76b6973457068656d6572616cf5781973"
    "7570706f7274656450726f746f636f6c56657273696f6e73816131"
)
JS_SYNC = bytes.fromhex(
    "b9000564747970656473796e636873656e646572496466706565722d616874617267657449647073"
    "746f726167652d7365727665722d786a646f63756d656e744964781c336342436338684263794b4a"
    "55394c62355a4a65374868586165343564646174614742000001000000"
)
JS_EPHEMERAL = bytes.fromhex(
    "b90008647479706569657068656d6572616c6873656e646572496466706565722d61687461726765"
    "7449646670656572"
    "2d626a646f63756d656e744964781c336342436338684263794b4a55394c62355a4a653748685861"
    "6534356973657373696f6e496462733165636f756e740364646174614bb9000166637572736f7205"
    "66657874726131646b657074"
)


def test_js_join() -> None:
    msg = decode(JS_JOIN, max_size=LIMIT)
    assert msg == Join("peer-vl12ij8vq", PeerMetadata(None, True), ("1",))


def test_js_sync() -> None:
    msg = decode(JS_SYNC, max_size=LIMIT)
    assert msg == Sync("peer-a", "storage-server-x", DOC, EMPTY_SYNC)


def test_js_ephemeral_keeps_extra_fields_when_forwarded() -> None:
    msg = decode(JS_EPHEMERAL, max_size=LIMIT)
    assert isinstance(msg, Ephemeral)
    assert (msg.session_id, msg.count, msg.extra) == ("s1", 3, {"extra1": "kept"})
    assert cbor2.loads(msg.data) == {"cursor": 5}
    forwarded = cbor2.loads(encode(Ephemeral(**{**msg.__dict__, "target_id": "peer-c"})))
    assert forwarded["extra1"] == "kept"
    assert forwarded["targetId"] == "peer-c"


def test_encode_refuses_empty_data() -> None:
    with pytest.raises(ValueError, match="empty data"):
        encode(Sync("a", "b", DOC, b""))


def _frame(**fields: Any) -> bytes:
    return cbor2.dumps(fields)


BASE_SYNC: dict[str, Any] = {
    "type": "sync",
    "senderId": "a",
    "targetId": "b",
    "documentId": DOC,
    "data": b"\x42",
}


def _sync_with(**changes: Any) -> bytes:
    fields = {**BASE_SYNC, **changes}
    return cbor2.dumps({k: v for k, v in fields.items() if v is not _DROP})


_DROP = object()

MALFORMED: list[tuple[str, bytes, str]] = [
    ("empty frame", b"", "empty"),
    ("not cbor", b"\xff\xff", "break|reserved|not accepted"),
    ("truncated", _sync_with()[:-3], "truncated"),
    ("trailing bytes", _sync_with() + b"\x00", "trailing"),
    ("not a map", cbor2.dumps([1, 2]), "must be a CBOR map"),
    ("no type", _frame(senderId="a"), "no 'type'"),
    ("type not text", _frame(type=1), "no 'type'"),
    ("unknown type", _frame(type="hello", senderId="a"), "unknown message type"),
    ("non-text key", cbor2.dumps({1: "x", "type": "leave"}), "keys must be text"),
    ("tag", cbor2.dumps(cbor2.CBORTag(1, 0)), "tags"),
    ("bignum", cbor2.dumps({"type": "ephemeral", "count": 2**70}), "tags"),
    ("tagged data", _sync_with(data=cbor2.CBORTag(64, b"\x42")), "tags"),
    ("indefinite map", b"\xbf\x64type\x65leave\xff", "indefinite"),
    ("duplicate key", b"\xa2\x64type\x65leave\x64type\x65leave", "duplicate"),
    ("bad utf8", b"\xa1\x64type\x62\xff\xfe", "UTF-8"),
    ("simple value", b"\xa1\x64type\xf0", "simple value"),
    ("huge container", b"\xa1\x64type\x9b" + b"\xff" * 8, "more items"),
    ("too deep", b"\xa1\x64type" + b"\x81" * 40 + b"\x00", "deeper"),
    ("missing sender", _sync_with(senderId=_DROP), "'senderId' is missing"),
    ("undefined sender", _sync_with(senderId=cbor2.undefined), "'senderId' is missing"),
    ("empty sender", _sync_with(senderId=""), "empty"),
    ("sender not text", _sync_with(senderId=5), "must be a string"),
    ("long sender", _sync_with(senderId="x" * 300), "longer than"),
    ("missing target", _sync_with(targetId=_DROP), "'targetId' is missing"),
    ("missing doc", _sync_with(documentId=_DROP), "'documentId' is missing"),
    ("bad checksum", _sync_with(documentId=DOC[:-1] + "6"), "checksum"),
    ("doc id bytes", _sync_with(documentId=DOC.encode()), "must be a string"),
    ("missing data", _sync_with(data=_DROP), "'data' is missing"),
    ("empty data", _sync_with(data=b""), "'data' is empty"),
    ("data as text", _sync_with(data="B"), "byte string"),
    ("data as list", _sync_with(data=[66]), "byte string"),
    ("oversized frame", _sync_with(data=b"x" * (LIMIT + 1)), "exceeds"),
    (
        "negative count",
        _frame(**{**BASE_SYNC, "type": "ephemeral", "sessionId": "s", "count": -1}),
        "between",
    ),
    (
        "bool count",
        _frame(**{**BASE_SYNC, "type": "ephemeral", "sessionId": "s", "count": True}),
        "integer",
    ),
    ("no session", _frame(**{**BASE_SYNC, "type": "ephemeral", "count": 1}), "'sessionId'"),
    (
        "metadata not map",
        _frame(type="join", senderId="a", peerMetadata="x"),
        "must be a map",
    ),
    (
        "storageId not text",
        _frame(type="join", senderId="a", peerMetadata={"storageId": 3}),
        "storageId",
    ),
    (
        "isEphemeral not bool",
        _frame(type="join", senderId="a", peerMetadata={"isEphemeral": 1}),
        "isEphemeral",
    ),
    (
        "versions not list",
        _frame(type="join", senderId="a", supportedProtocolVersions="1"),
        "must be a list",
    ),
    (
        "versions not text",
        _frame(type="join", senderId="a", supportedProtocolVersions=[1]),
        "strings",
    ),
    ("error without message", _frame(type="error", senderId="a"), "'message'"),
    (
        "heads timestamp",
        _frame(
            type="remote-heads-changed",
            senderId="a",
            targetId="b",
            documentId=DOC,
            newHeads={"s": {"heads": [], "timestamp": "now"}},
        ),
        "timestamp",
    ),
]


@pytest.mark.parametrize(
    ("frame", "fragment"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_malformed_rejected(frame: bytes, fragment: str) -> None:
    with pytest.raises(ProtocolError, match=fragment):
        decode(frame, max_size=LIMIT)


def test_undefined_and_unknown_fields_are_ignored() -> None:
    frame = _frame(type="join", senderId="a", peerMetadata=cbor2.undefined, future={"x": 1})
    assert decode(frame, max_size=LIMIT) == Join("a", None, None)


def test_non_minimal_lengths_accepted() -> None:
    # map(1) written with a 32-bit header, text with a 16-bit one: legal, non-canonical CBOR.
    frame = b"\xba\x00\x00\x00\x02" + b"\x64type\x79\x00\x05leave" + b"\x68senderId\x61a"
    assert decode(frame, max_size=LIMIT) == Leave("a")


def test_text_frames_rejected() -> None:
    with pytest.raises(ProtocolError, match="binary"):
        decode("text", max_size=LIMIT)  # type: ignore[arg-type]


def _decode_only_protocol_errors(frame: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode(frame, max_size=4096)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(frame: bytes) -> None:
    _decode_only_protocol_errors(frame)


_cbor_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.binary(max_size=20)
    | st.text(max_size=20)
    | st.just(cbor2.undefined)
    | st.sampled_from([DOC, "sync", "request", "ephemeral", "join", "peer"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["type", "senderId", "targetId", "documentId", "data", "count", "sessionId"]
            )
            | st.text(max_size=5)
            | st.integers(),
            inner,
            max_size=6,
        )
        | st.builds(cbor2.CBORTag, st.integers(min_value=0, max_value=300), inner)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_cbor_values)
def test_fuzz_random_cbor_values(value: Any) -> None:
    try:
        frame = cbor2.dumps(value)
    except Exception:
        return
    _decode_only_protocol_errors(frame)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(ALL_MESSAGES),
    st.integers(min_value=0, max_value=10_000),
    st.binary(min_size=1, max_size=4),
)
def test_fuzz_mutated_valid_frames(msg: Message, where: int, junk: bytes) -> None:
    frame = encode(msg)
    pos = where % len(frame)
    _decode_only_protocol_errors(frame[:pos] + junk + frame[pos + len(junk) :])
    _decode_only_protocol_errors(frame[:pos])
