"""permessage-deflate for the messages worth it: those of 1 KB or more.

A catch-up of ten edits is one 2.8 KB sync message; deflated it is 1.5 KB, which is
what a slow link (SSH, a phone) feels. A single edit's message is a few hundred bytes:
deflating every such frame, as websockets does, doubled the relay's CPU per delivered
edit under load and made it fall behind. RFC 7692 lets a sender leave any message
uncompressed, so the relay compresses only messages of at least ``MIN_SIZE`` bytes (the
threshold the JS ``ws`` library uses for its own), and inflates whatever a peer sent
compressed. The frame-size limit holds for the inflated size.

The relay also asks its clients not to carry their compression context from one message
to the next (``client_no_context_takeover``, RFC 7692 §7.1.1.2). The JS ``ws`` library
applies its own 1 KB threshold only then: otherwise every stock JS client deflated every
small sync message, and the relay inflated each one (measured: ~4% of the relay's CPU
under load, and zlib work on the clients for messages of a few hundred bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame, Opcode

__all__ = ["MIN_SIZE", "LargeMessageDeflate", "large_message_deflate"]

MIN_SIZE = 1024


class LargeMessageDeflate(PerMessageDeflate):
    """Sends a whole message smaller than ``MIN_SIZE`` as it is (RSV1 clear)."""

    def encode(self, frame: Frame) -> Frame:
        whole = frame.opcode in (Opcode.TEXT, Opcode.BINARY) and frame.fin
        if whole and len(frame.data) < MIN_SIZE:
            return frame
        return super().encode(frame)


class _Factory(ServerPerMessageDeflateFactory):
    def process_request_params(
        self, params: Sequence[tuple[str, str | None]], accepted_extensions: Sequence[Extension]
    ) -> tuple[list[tuple[str, str | None]], PerMessageDeflate]:
        response, extension = super().process_request_params(params, accepted_extensions)
        extension.__class__ = LargeMessageDeflate  # same state, another encode
        return response, extension


def large_message_deflate() -> _Factory:
    """The extension factory to give ``websockets.serve(extensions=[...])``.

    websockets' own defaults for a server: a 4 KB window and ``memLevel`` 5, about
    40 KB of state per connection. Clients are asked to start each message afresh.
    """
    settings: dict[str, Any] = {"memLevel": 5}
    return _Factory(
        client_no_context_takeover=True,
        server_max_window_bits=12,
        client_max_window_bits=12,
        compress_settings=settings,
    )
