"""DocSync: two engines converge over an in-memory exchange; hostile messages are refused."""

from __future__ import annotations

import hashlib

import pytest
from automerge import core as am

from goalsync.amcore import MAGIC, encode_uleb
from goalsync.protocol.docid import new_document_id
from goalsync.repo import DocSync, RejectedMessage, inspect_sync_message
from goalsync.storage import DocumentStore, MemoryChunkStore


def _put(doc: am.Document, key: str, value: str) -> None:
    with doc.transaction() as tx:
        tx.put(am.ROOT, key, am.ScalarType.Str, value)


def _value(doc: am.Document, key: str) -> str | None:
    got = doc.get(am.ROOT, key)
    if got is None:
        return None
    value = got[0]
    assert isinstance(value, tuple)
    return str(value[1])


def _engine(doc_id: str) -> DocSync:
    return DocSync(doc_id, DocumentStore(MemoryChunkStore()))


def _exchange(a: DocSync, b: DocSync, max_rounds: int = 20) -> int:
    """Run the sync protocol between a (as peer "a") and b (as peer "b"); returns frames."""
    frames = 0
    for _ in range(max_rounds):
        moved = False
        for src, dst, src_name, dst_name in ((a, b, "a", "b"), (b, a, "b", "a")):
            data = src.generate(dst_name)
            if data is not None:
                dst.receive(src_name, data)
                frames += 1
                moved = True
        if not moved:
            return frames
    raise AssertionError("did not converge")


def test_two_engines_converge_and_persist() -> None:
    doc_id = new_document_id()
    a, b = _engine(doc_id), _engine(doc_id)
    _put(a.doc, "from_a", "1")
    _put(b.doc, "from_b", "2")
    _exchange(a, b)
    assert a.heads == b.heads
    assert a.in_sync("b") and b.in_sync("a")
    for engine in (a, b):
        assert (_value(engine.doc, "from_a"), _value(engine.doc, "from_b")) == ("1", "2")
        reloaded = engine.store.load(doc_id).doc
        assert tuple(reloaded.get_heads()) == engine.heads


def test_fetch_into_empty_engine_and_live_edit() -> None:
    doc_id = new_document_id()
    a, b = _engine(doc_id), _engine(doc_id)
    for i in range(50):
        _put(a.doc, f"k{i}", str(i))
    assert not b.heads
    _exchange(b, a)  # b speaks first with an empty doc, like a request
    assert b.heads == a.heads and _value(b.doc, "k49") == "49"
    _put(a.doc, "later", "x")
    assert not a.in_sync("b")
    _exchange(a, b)
    assert _value(b.doc, "later") == "x" and b.in_sync("a")


def test_receive_reports_heads_change() -> None:
    doc_id = new_document_id()
    a, b = _engine(doc_id), _engine(doc_id)
    _put(a.doc, "x", "1")
    first = a.generate("b")
    assert first is not None
    result = b.receive("a", first)
    assert not result.changed and result.their_heads == a.heads
    reply = b.generate("a")
    assert reply is not None
    a.receive("b", reply)
    changes = a.generate("b")
    assert changes is not None
    result = b.receive("a", changes)
    assert result.changed and result.heads_after == a.heads


def test_large_push_sends_compressed_document() -> None:
    """PROTOCOL.md §3.4: after an empty-heads reply the push carries one document chunk."""
    doc_id = new_document_id()
    a, b = _engine(doc_id), _engine(doc_id)
    for i in range(200):
        _put(a.doc, f"k{i}", "value " * 5)
    first = a.generate("b")
    assert first is not None
    b.receive("a", first)
    reply = b.generate("a")
    assert reply is not None and inspect_sync_message(reply).heads == ()
    a.receive("b", reply)
    push = a.generate("b")
    assert push is not None
    info = inspect_sync_message(push)
    assert info.carries_document and info.change_chunks == 1
    b.receive("a", push)
    _exchange(a, b)
    assert b.heads == a.heads


def _chunk(body: bytes, kind: int = 1) -> bytes:
    header = bytes([kind]) + encode_uleb(len(body)) + body
    return MAGIC + hashlib.sha256(header).digest()[:4] + header


def _message_with(chunks: list[bytes], heads: int = 0) -> bytes:
    out = bytearray([0x42]) + encode_uleb(heads) + b"\x07" * 32 * heads + b"\x00\x00"
    out += encode_uleb(len(chunks))
    for chunk in chunks:
        out += encode_uleb(len(chunk)) + chunk
    return bytes(out)


HOSTILE = {
    "garbage": b"\x00garbage",
    "empty": b"",
    "wrong version byte": b"\x44\x00\x00\x00\x00",
    "truncated heads": b"\x42\x05" + b"\x01" * 40,
    "huge count": b"\x42" + b"\xff" * 9 + b"\x01",
    "chunk without magic": _message_with([b"junkjunkjunk"]),
    "bad checksum": _message_with([MAGIC + b"\0\0\0\0" + b"\x01\x03abc"]),
    "chunk length lies": _message_with([_chunk(b"abc")[:-1] + b"\x00\x00"]),
    "unknown chunk type": _message_with([_chunk(b"abc", kind=9)]),
    "trailing bytes": _message_with([]) + b"\x01\x00\x00",
}


def _assert_untouched_and_usable(engine: DocSync, heads: tuple[bytes, ...]) -> None:
    assert engine.heads == heads and _value(engine.doc, "keep") == "me"
    _put(engine.doc, "still", "usable")
    peer = _engine(engine.doc_id)
    _exchange(engine, peer)
    assert _value(peer.doc, "still") == "usable"


@pytest.mark.parametrize("data", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_message_rejected_doc_untouched(data: bytes) -> None:
    engine = _engine(new_document_id())
    _put(engine.doc, "keep", "me")
    heads = engine.heads
    with pytest.raises(RejectedMessage):
        engine.receive("evil", data)
    _assert_untouched_and_usable(engine, heads)


def test_junk_change_with_valid_checksum_is_dropped_harmlessly() -> None:
    """Layout and checksum pass; the binding parses the body, finds junk and drops it."""
    engine = _engine(new_document_id())
    _put(engine.doc, "keep", "me")
    heads = engine.heads
    for seed in range(20):
        body = hashlib.sha256(bytes([seed])).digest() * 3
        result = engine.receive("evil", _message_with([_chunk(body)], heads=1))
        assert not result.changed
    _assert_untouched_and_usable(engine, heads)


def test_truncated_real_message_rejected() -> None:
    doc_id = new_document_id()
    a, b = _engine(doc_id), _engine(doc_id)
    _put(a.doc, "x", "1")
    b.receive("a", a.generate("b") or b"")
    a.receive("b", b.generate("a") or b"")
    push = a.generate("b")
    assert push is not None
    with pytest.raises(RejectedMessage, match="truncated"):
        b.receive("a", push[: len(push) // 2])
    assert not b.heads


def test_local_edits_are_stored_before_network_input_is_applied() -> None:
    doc_id = new_document_id()
    engine = _engine(doc_id)
    _put(engine.doc, "local", "unsaved")  # not yet persisted by the caller
    engine.receive("evil", _message_with([_chunk(b"\x10" + b"\xff" * 40)]))
    engine.reload()  # what a failed apply does; the edit must have been stored first
    assert _value(engine.doc, "local") == "unsaved"


def test_v2_messages_packing_several_changes_in_one_entry_are_accepted() -> None:
    """The Rust core packs a catch-up's changes back to back in one entry of a v2 message."""
    from automerge import core as am

    from goalsync.repo.syncmsg import inspect_sync_message

    a = am.Document()
    with a.transaction() as tx:
        m = tx.put_object(am.ROOT, "g", am.ObjType.Map)
    b = a.fork()
    b.set_actor(am.random_actor_id())
    for i in range(3):
        with a.transaction() as tx:
            tx.put(m, f"k{i}", am.ScalarType.Str, "v" * 50)
    sa, sb = am.SyncState(), am.SyncState()
    seen_v2_with_changes = False
    for _ in range(6):
        out = a.generate_sync_message(sa)
        if out is not None:
            data = out.encode()
            info = inspect_sync_message(data)
            seen_v2_with_changes |= data[0] == 0x43 and bool(info.change_chunks)
            b.receive_sync_message(sb, am.Message.decode(data))
        back = b.generate_sync_message(sb)
        if back is not None:
            a.receive_sync_message(sa, am.Message.decode(back.encode()))
    assert seen_v2_with_changes
    assert b.get_heads() == a.get_heads()
