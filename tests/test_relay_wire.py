"""The relay's fast sync-frame codec gives exactly what the strict codec gives."""

from __future__ import annotations

import cbor2
from hypothesis import given, settings
from hypothesis import strategies as st

from goalsync.protocol.docid import new_document_id
from goalsync.protocol.messages import ProtocolError, Request, Sync, decode, encode
from goalsync.relay.wire import decode_frame, encode_sync

DOC_ID = new_document_id()
MAX = 1000
KEYS = ["type", "senderId", "targetId", "documentId", "data", "extra"]
VALUES = st.one_of(
    st.sampled_from(["sync", "request", "ephemeral", "", DOC_ID, DOC_ID[:-1] + "x", "p" * 300]),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.binary(min_size=MAX, max_size=MAX + 1),
    st.integers(-2, 2),
    st.none(),
    st.just(cbor2.undefined),
    st.lists(st.text(max_size=2), max_size=2),
)


def _outcome(fn: object, frame: bytes) -> object:
    try:
        return fn(frame)  # type: ignore[operator]
    except ProtocolError as exc:
        return ("error", type(exc), str(exc))


def _non_minimal(fields: dict[str, object]) -> bytes:
    """The map header as JS cbor-x writes it (``b9 00 NN``), then the items."""
    body = b"".join(cbor2.dumps(k) + cbor2.dumps(v) for k, v in fields.items())
    return b"\xb9" + len(fields).to_bytes(2, "big") + body


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6), st.booleans())
def test_fast_decode_agrees_with_the_strict_decoder(fields: dict[str, object], js: bool) -> None:
    frame = _non_minimal(fields) if js else cbor2.dumps(fields)
    fast = _outcome(lambda f: decode_frame(f, MAX), frame)
    strict = _outcome(lambda f: decode(f, max_size=MAX), frame)
    assert fast == strict


@given(st.binary(max_size=40))
def test_fast_decode_agrees_on_arbitrary_bytes(junk: bytes) -> None:
    frame = b"\xa5\x64type\x64sync" + junk
    fast = _outcome(lambda f: decode_frame(f, MAX), frame)
    assert fast == _outcome(lambda f: decode(f, max_size=MAX), frame)


def test_well_formed_sync_and_request_round_trip() -> None:
    for msg in (Sync("a", "b", DOC_ID, b"\x42\x00"), Request("a", "b", DOC_ID, b"\x42")):
        assert decode_frame(encode(msg), MAX) == msg
    frame = _non_minimal({"type": "sync", "senderId": "a", "targetId": "b",
                          "documentId": DOC_ID, "data": b"\x43"})  # fmt: skip
    assert decode_frame(frame, MAX) == Sync("a", "b", DOC_ID, b"\x43")


@given(st.text(min_size=1, max_size=30), st.binary(min_size=1, max_size=3000))
def test_encode_sync_is_the_generic_encoding(peer: str, data: bytes) -> None:
    assert encode_sync(peer, "relay", DOC_ID, data) == encode(Sync(peer, "relay", DOC_ID, data))
