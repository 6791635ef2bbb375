"""goalsync.changes: change chunks read in Python agree with the binding, and bad ones fail."""

from __future__ import annotations

import hashlib
import zlib

import pytest
from automerge import core as am
from hypothesis import given, settings
from hypothesis import strategies as st

from goalsync.amcore import CorruptData, encode_uleb
from goalsync.changes import parse_change, parse_object_id

ACTOR = bytes(range(16))
OTHER = bytes([9]) * 16


def _doc() -> am.Document:
    doc = am.Document(ACTOR)
    with doc.transaction() as tx:
        obj = tx.put_object(am.ROOT, "m", am.ObjType.Map)
        tx.put(obj, "k", am.ScalarType.Str, "x")
        text = tx.put_object(obj, "t", am.ObjType.Text)
        for i, char in enumerate("hello"):
            tx.insert(text, i, am.ScalarType.Str, char)
    return doc


def _chunk(kind: int, body: bytes) -> bytes:
    """A chunk with a correct checksum around ``body``."""
    digest = hashlib.sha256(bytes([1]) + encode_uleb(len(body)) + body).digest()
    return b"\x85\x6f\x4a\x83" + digest[:4] + bytes([kind]) + encode_uleb(len(body)) + body


def _body(chunk: bytes) -> bytes:
    length_at = 9
    while chunk[length_at] & 0x80:
        length_at += 1
    return chunk[length_at + 1 :]


def test_header_and_op_targets_match_the_binding() -> None:
    doc = _doc()
    change = doc.get_changes([])[0]
    info = parse_change(change.raw_bytes)
    assert info.hash == change.hash and info.deps == tuple(change.deps) == ()
    assert (info.actor, info.seq, info.start_op) == (ACTOR, 1, 1)
    obj = doc.get(am.ROOT, "m")
    text = doc.get(obj[1], "t") if obj else None
    assert obj is not None and text is not None
    m, t = parse_object_id(obj[1]), parse_object_id(text[1])
    assert list(zip(info.objects, info.keys, strict=True)) == [
        (None, "m"),
        (m, "k"),
        (m, "t"),
        *[(t, None)] * 5,
    ]
    assert m is not None and info.created(m) and not info.created((OTHER, 1))


def test_a_deflated_change_from_another_actor_with_dependencies() -> None:
    doc = _doc()
    fork = doc.fork()
    fork.set_actor(OTHER)
    obj = doc.get(am.ROOT, "m")
    assert obj is not None
    with fork.transaction() as tx:
        for i in range(300):
            tx.put(obj[1], f"key{i}", am.ScalarType.Int, i)
    change = fork.get_changes(doc.get_heads())[0]
    assert change.bytes[8] == 2  # the binding hands out the deflated form
    info = parse_change(change.bytes)
    assert info.hash == change.hash and info.deps == tuple(doc.get_heads())
    assert info.actor == OTHER and info.other_actors == (ACTOR,)
    assert set(info.objects) == {parse_object_id(obj[1])}
    assert info.keys == tuple(f"key{i}" for i in range(300))
    assert parse_change(change.raw_bytes) == info


@settings(max_examples=40, deadline=None)
@given(
    keys=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=30, unique=True),
    second=st.booleans(),
)
def test_random_map_writes_round_trip(keys: list[str], second: bool) -> None:
    doc = am.Document(ACTOR)
    with doc.transaction() as tx:
        for key in keys:
            tx.put(am.ROOT, key, am.ScalarType.Str, key)
    if second:  # a second change, whose header carries deps
        with doc.transaction() as tx:
            tx.put(am.ROOT, "last", am.ScalarType.Int, 1)
    for change in doc.get_changes([]):
        info = parse_change(change.bytes)
        assert info.hash == change.hash and info.deps == tuple(change.deps)
        assert info.seq == change.seq and info.start_op == change.start_op
        assert all(obj is None for obj in info.objects)
    first = parse_change(doc.get_changes([])[0].raw_bytes)
    assert first.keys == tuple(keys)


def test_object_ids_of_the_root_and_of_another_document() -> None:
    assert parse_object_id(am.ROOT) is None
    doc = am.Document(ACTOR)
    with doc.transaction() as tx:
        for i in range(200):
            tx.put(am.ROOT, f"k{i}", am.ScalarType.Int, i)
        obj = tx.put_object(am.ROOT, "m", am.ObjType.Map)
    assert parse_object_id(obj) == (ACTOR, 201)
    with pytest.raises(CorruptData):
        parse_object_id(b"\x20\x01")
    with pytest.raises(CorruptData):
        parse_object_id(obj + b"\x00")


def test_damaged_chunks_are_refused() -> None:
    raw = _doc().get_changes([])[0].raw_bytes
    body = _body(raw)
    cases = {
        "bad magic": b"\x00" + raw[1:],
        "checksum": raw[:4] + bytes([raw[4] ^ 1]) + raw[5:],
        "truncated": raw[:-3],
        "trailing bytes": raw + b"\x00",
        "document chunk": _chunk(0, body),
        "bad deflate": _chunk(2, b"\xff\xff\xff"),
        "deps beyond the end": _chunk(1, encode_uleb(1000) + body[1:]),
        "columns out of order": _chunk(1, _swap_first_columns(body)),
        "cut column data": _chunk(1, body[:-2]),
    }
    accepted = []
    for name, chunk in cases.items():
        try:
            parse_change(chunk)
        except CorruptData:
            continue
        accepted.append(name)
    assert accepted == []


def test_a_huge_run_is_refused_without_building_it() -> None:
    """A column claiming 2**40 equal values is refused, not expanded."""
    body = _header() + encode_uleb(1) + encode_uleb(0x42) + encode_uleb(7)
    run = b"\x80\x80\x80\x80\x80\x20" + b"\x01"  # sLEB 2**40, then the value
    with pytest.raises(CorruptData, match="more operations"):
        parse_change(_chunk(1, body + run))


def test_a_deflated_column_is_read() -> None:
    key_col = b"\x7f" + encode_uleb(1) + b"k"  # one literal string
    action_col = b"\x7f\x01"  # one literal uint
    packed = zlib.compress(key_col)[2:-4]  # raw deflate
    body = (
        _header()
        + encode_uleb(2)
        + encode_uleb(0x15 | 0x08)
        + encode_uleb(len(packed))
        + encode_uleb(0x42)
        + encode_uleb(len(action_col))
        + packed
        + action_col
    )
    info = parse_change(_chunk(1, body))
    assert info.keys == ("k",) and info.objects == (None,)


def _header() -> bytes:
    """deps, actor, seq, start op, time, message, other actors: a minimal change header."""
    return b"\x00" + encode_uleb(16) + ACTOR + b"\x01\x01\x00\x00\x00"


def _swap_first_columns(body: bytes) -> bytes:
    """The same body with its first two column specs swapped (lengths kept in place)."""
    start = len(_header())
    count = body[start]
    assert count >= 2
    spec_a, len_a, spec_b, len_b = body[start + 1 : start + 5]
    swapped = bytes([spec_b, len_a, spec_a, len_b])
    return body[: start + 1] + swapped + body[start + 5 :]
