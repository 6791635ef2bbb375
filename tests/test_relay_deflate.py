"""The relay deflates messages of 1 KB or more and sends smaller ones as they are."""

from __future__ import annotations

import os

from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode

from goalsync.relay.deflate import MIN_SIZE, large_message_deflate


def _negotiated() -> tuple[PerMessageDeflate, PerMessageDeflate]:
    """The relay's extension as a client offering permessage-deflate gets it, and the client's."""
    offer = [("client_max_window_bits", None)]
    response, relay_side = large_message_deflate().process_request_params(offer, [])
    params = dict(response)
    client_side = PerMessageDeflate(
        remote_no_context_takeover=False,
        local_no_context_takeover="client_no_context_takeover" in params,
        remote_max_window_bits=int(params.get("server_max_window_bits") or 15),
        local_max_window_bits=int(params.get("client_max_window_bits") or 15),
    )
    return relay_side, client_side


def test_small_messages_go_as_they_are_large_ones_deflated_and_both_arrive() -> None:
    relay_side, client_side = _negotiated()
    small = b"s" * (MIN_SIZE - 1)
    large = (b"edit history entry " * 200)[: 4 * MIN_SIZE]
    for payload in (small, large, small, large):  # the shared context survives the skips
        sent = relay_side.encode(Frame(Opcode.BINARY, payload))
        if payload is small:
            assert not sent.rsv1 and sent.data == payload
        else:
            assert sent.rsv1 and len(sent.data) < len(payload) // 4
        assert client_side.decode(sent).data == payload


def test_incompressible_large_messages_still_arrive() -> None:
    relay_side, client_side = _negotiated()
    payload = os.urandom(3 * MIN_SIZE)
    sent = relay_side.encode(Frame(Opcode.BINARY, payload))
    assert sent.rsv1
    assert client_side.decode(sent).data == payload


def test_clients_are_asked_to_deflate_each_message_afresh() -> None:
    """The JS ws library applies its 1 KB threshold only without context takeover; its
    large messages, each deflated on its own, all arrive."""
    relay_side, client_side = _negotiated()
    assert client_side.local_no_context_takeover
    large = (b"goal title and description " * 200)[: 4 * MIN_SIZE]
    for _ in range(3):
        sent = client_side.encode(Frame(Opcode.BINARY, large))
        assert sent.rsv1 and len(sent.data) < len(large) // 4
        assert relay_side.decode(sent).data == large
