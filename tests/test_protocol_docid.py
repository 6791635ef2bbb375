"""Document ids and automerge: URLs, including ids made by JS automerge-repo."""

from __future__ import annotations

import uuid

import pytest

from goalsync.protocol.docid import (
    InvalidDocumentId,
    b58check_encode,
    from_uuid,
    new_document_id,
    parse_url,
    to_url,
    validate_document_id,
)

# Made by @automerge/automerge-repo 2.5.6 under node 20: `repo.create().documentId`.
JS_IDS = [
    "3cBCc8hBcyKJU9Lb5ZJe7HhXae45",
    "41Xmt5iAuUGtJKH4ngi1YrkBsPWF",
    "9a6q6GW1wbfppu7gE7eVaAdaPN6",
    "2nrDLSa1xsFs1zcmDMPvfvFvmQqF",
    "2n449WBWBxz6kY2vsXRVyJnLAZE4",
    "4VRKC938oqPyibGFixK5h356eATF",
]
# Same source: stringifyAutomergeUrl({documentId, heads: handle.heads()}).
JS_HEADS_URL = (
    "automerge:MhbKiyx2ZtNUUMBsSRePQQUbdLC#w2vZqJuBJK57g4oNXSyuCtyAnnHfqd2V3je7eh72NgTk2Zwuq"
)
# Same source: interpretAsDocumentId(<legacy uuid>).
JS_FROM_UUID = {
    "6ba7b810-9dad-41d1-80b4-00c04fd430c8": "2VzPLXwa4R41PB944FYJS46nvFdj",
    "00000000-0000-4000-8000-000000000000": "111111QXhYZza3GqLStHjsryD",
}


@pytest.mark.parametrize("doc_id", JS_IDS)
def test_js_ids_validate_and_reencode(doc_id: str) -> None:
    payload = validate_document_id(doc_id)
    assert len(payload) == 16
    assert uuid.UUID(bytes=payload).version == 4
    assert b58check_encode(payload) == doc_id
    assert parse_url(to_url(doc_id)) == (doc_id, None)


def test_js_heads_url_round_trips() -> None:
    doc_id, heads = parse_url(JS_HEADS_URL)
    assert doc_id == "MhbKiyx2ZtNUUMBsSRePQQUbdLC"
    assert heads is not None and len(heads) == 1 and len(heads[0]) == 32
    assert to_url(doc_id, heads) == JS_HEADS_URL


@pytest.mark.parametrize(("text", "expected"), sorted(JS_FROM_UUID.items()))
def test_from_uuid_matches_js(text: str, expected: str) -> None:
    assert from_uuid(text) == expected


def test_new_ids_are_uuid4_and_unique() -> None:
    ids = {new_document_id() for _ in range(200)}
    assert len(ids) == 200
    for doc_id in ids:
        # 20 bytes in base58: 27 or 28 characters, rarely fewer (a small leading number)
        assert 20 <= len(doc_id) <= 28
        assert uuid.UUID(bytes=validate_document_id(doc_id)).version == 4


def test_any_payload_that_checksums_is_accepted() -> None:
    custom = b58check_encode(b"my own id factory")
    assert validate_document_id(custom) == b"my own id factory"


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("3cBCc8hBcyKJU9Lb5ZJe7HhXae46", "checksum"),
        ("3cBCc8hBcyKJU9Lb5ZJe7HhXae4", "checksum"),
        ("3cBCc8hBcyKJU9Lb5ZJe7HhXae40", "base58"),
        ("", "empty"),
        ("2", "too short"),
        ("1" * 500, "at most"),
    ],
)
def test_invalid_ids_say_why(bad: str, fragment: str) -> None:
    with pytest.raises(InvalidDocumentId, match=fragment):
        validate_document_id(bad)


@pytest.mark.parametrize(
    "url",
    [
        "3cBCc8hBcyKJU9Lb5ZJe7HhXae45",
        "automerge:",
        "automerge:3cBCc8hBcyKJU9Lb5ZJe7HhXae45#",
        "automerge:3cBCc8hBcyKJU9Lb5ZJe7HhXae45#3cBCc8hBcyKJU9Lb5ZJe7HhXae45",
        "automerge:3cBCc8hBcyKJU9Lb5ZJe7HhXae45#notbase58!",
    ],
)
def test_invalid_urls_rejected(url: str) -> None:
    with pytest.raises(InvalidDocumentId):
        parse_url(url)


def test_from_uuid_rejects_non_uuid() -> None:
    with pytest.raises(InvalidDocumentId, match="not a UUID"):
        from_uuid("not-a-uuid")
