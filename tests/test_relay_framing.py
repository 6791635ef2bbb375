"""The relay's own frame splitting and plain-frame reading and writing (framing.py), checked
against websockets' serializer, and in a real relay fed frames cut at every byte."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import socket
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

from goalsync.protocol.docid import new_document_id
from goalsync.protocol.messages import (
    DocUnavailable,
    Join,
    PeerMetadata,
    Request,
    decode,
    encode,
)
from goalsync.relay import TokenStore
from goalsync.relay.framing import FrameSplitter, binary_header, binary_payload
from helpers.relay_peers import EMPTY_REQUEST, team_relay

MAX = 100_000


def _deflate() -> PerMessageDeflate:
    return PerMessageDeflate(False, False, 15, 15)


def _wire(frame: Frame) -> bytes:
    """``frame`` as a client writes it, RSV1 (a deflated message) included."""
    raw = dataclasses.replace(frame, rsv1=False).serialize(mask=True)
    return bytes([raw[0] | 0x40 * frame.rsv1]) + raw[1:]


_frames = st.one_of(
    st.binary(max_size=300).map(lambda d: Frame(Opcode.BINARY, d)),
    st.binary(min_size=126, max_size=70_000).map(lambda d: Frame(Opcode.BINARY, d)),
    st.binary(max_size=40).map(lambda d: Frame(Opcode.BINARY, d, fin=False)),
    st.binary(max_size=40).map(lambda d: Frame(Opcode.CONT, d)),
    st.text(max_size=40).map(lambda t: Frame(Opcode.TEXT, t.encode())),
    st.binary(max_size=40).map(lambda d: Frame(Opcode.PING, d)),
    st.binary(max_size=40).map(lambda d: Frame(Opcode.PONG, d)),
    st.binary(min_size=1, max_size=300).map(lambda d: _deflate().encode(Frame(Opcode.BINARY, d))),
)


@given(st.lists(_frames, max_size=12), st.lists(st.integers(0, 200_000), max_size=20))
def test_a_stream_cut_anywhere_comes_out_as_its_frames(
    frames: list[Frame], cuts: list[int]
) -> None:
    wire = [_wire(f) for f in frames]
    stream = b"".join(wire)
    points = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    splitter = FrameSplitter(MAX)
    out: list[bytes] = []
    for start, end in itertools.pairwise(points):
        out += splitter.split(stream[start:end])
    assert out == wire and not splitter.broken
    for frame, raw in zip(frames, out, strict=True):
        plain = frame.opcode is Opcode.BINARY and frame.fin and not frame.rsv1
        assert binary_payload(raw) == (frame.data if plain else None)


def test_an_unmasked_frame_is_not_taken_as_a_clients() -> None:
    raw = Frame(Opcode.BINARY, b"abc").serialize(mask=False)
    assert FrameSplitter(MAX).split(raw) == [raw]
    assert binary_payload(raw) is None  # websockets rejects it: "incorrect masking"


def test_a_header_over_the_limit_hands_over_the_rest_of_the_stream() -> None:
    small = Frame(Opcode.BINARY, b"ok").serialize(mask=True)
    big = Frame(Opcode.BINARY, b"x" * 2000).serialize(mask=True)
    splitter = FrameSplitter(1000)
    assert splitter.split(small + big[:10]) == [small, big[:10]]
    assert splitter.broken
    assert splitter.split(big[10:]) == [big[10:]]


def test_headers_are_websockets_own() -> None:
    for size in (0, 1, 125, 126, 1023, 65535, 65536, 70_000):
        payload = bytes(size)
        assert binary_header(size) + payload == Frame(Opcode.BINARY, payload).serialize(mask=False)


Client = tuple[ClientProtocol, asyncio.StreamReader, asyncio.StreamWriter]


async def _handshake(port: int, token: str) -> Client:
    """A client on a plain socket, speaking WebSocket through websockets' sans-I/O protocol."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client = ClientProtocol(parse_uri(f"ws://127.0.0.1:{port}/"), max_size=None)
    request = client.connect()
    request.headers["Authorization"] = f"Bearer {token}"
    client.send_request(request)
    await _flush(client, writer)
    while client.state is not State.OPEN:
        client.receive_data(await reader.read(65536))
        assert not [e for e in client.events_received() if not isinstance(e, Response)]
    return client, reader, writer


async def _flush(client: ClientProtocol, writer: asyncio.StreamWriter) -> None:
    for data in client.data_to_send():
        writer.write(data)
    await writer.drain()


async def _frames(client: ClientProtocol, reader: asyncio.StreamReader, count: int) -> list[Frame]:
    frames: list[Frame] = []
    while len(frames) < count:
        client.receive_data(await asyncio.wait_for(reader.read(65536), 5))
        frames += [e for e in client.events_received() if isinstance(e, Frame)]
    assert len(frames) == count
    return frames


async def test_frames_cut_at_every_byte_with_a_ping_between_them_are_served_in_order(
    tmp_path: Path,
) -> None:
    token = TokenStore(tmp_path / "relay").add("a", "alpha")
    async with team_relay(tmp_path) as relay:
        client, reader, writer = await _handshake(relay.port, token)
        join = Join("cut", PeerMetadata(None, True), ("1",))
        client.send_binary(encode(join))
        await _flush(client, writer)
        server = decode((await _frames(client, reader, 1))[0].data).sender_id
        asked = [new_document_id() for _ in range(3)]
        frames = [
            Frame(Opcode.BINARY, encode(Request("cut", server, d, EMPTY_REQUEST))) for d in asked
        ]
        frames.insert(1, Frame(Opcode.PING, b"are you there"))
        wire = b"".join(f.serialize(mask=True) for f in frames)
        for at in range(len(wire)):  # one byte per segment (TCP_NODELAY)
            writer.write(wire[at : at + 1])
            await writer.drain()
            await asyncio.sleep(0)
        replies = await _frames(client, reader, 4)
        binary, pong = Opcode.BINARY, Opcode.PONG
        assert [r.opcode for r in replies] == [binary, pong, binary, binary]
        assert replies[1].data == b"are you there"
        got = [decode(r.data) for r in replies if r.opcode is Opcode.BINARY]
        assert got == [DocUnavailable(server, "cut", d) for d in asked]
        writer.close()
