"""A WebSocket server connection with a synchronous path for whole binary frames.

websockets hands each received message to a queue that a reader coroutine awaits, and
each send goes through an async context (a lock, a drain). For a relay whose work per
frame is a few dozen microseconds that machinery costs as much as the work: a task
switch per frame in, an awaited context per frame out. So, once a peer has joined:

- each whole binary frame is handed to :attr:`RelayConnection.frame_handler` as soon as
  it is parsed, in the order received. A frame goes the usual way (the queue that
  ``recv`` reads) when the handler is unset, or when frames are already waiting in that
  queue (so that order is kept), and so do text and fragmented frames;
- plain binary frames (final, no extension bit) are read by the relay itself
  (``framing.py``), not by websockets' parser; every other frame is handed to websockets
  whole, so its parser always starts at a frame boundary;
- :meth:`RelayConnection.send_now` writes a frame to the socket without waiting (a small
  one with a header of its own, as websockets would have written it). There is no
  backpressure then, so a peer that does not read (its unsent bytes above
  ``max_buffer``, ``RelayLimits.max_unread``) is disconnected rather than buffered for
  without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.protocol import Event, State

from .deflate import MIN_SIZE, LargeMessageDeflate
from .framing import FrameSplitter, binary_header, binary_payload

__all__ = ["RelayConnection", "close_connection"]

log = logging.getLogger(__name__)

MAX_BUFFER = 96 * 1024 * 1024  # bytes queued for one slow reader before it is dropped


class RelayConnection(ServerConnection):
    """``ServerConnection`` plus a frame handler and a send that does not wait."""

    frame_handler: Callable[[bytes], None] | None = None
    max_buffer: int = MAX_BUFFER
    _splitter: FrameSplitter | None = None  # set once the connection is open
    _unsplit = False  # frames came with the handshake: websockets parses everything
    _plain_small = False  # small frames need no extension: sent with a header of our own

    def data_received(self, data: bytes) -> None:
        splitter = self._splitter or self._start_splitting()
        if splitter is None:
            super().data_received(data)
            return
        for frame in splitter.split(data):
            handler = self._direct_handler()
            payload = binary_payload(frame) if handler is not None else None
            if handler is None or payload is None:
                super().data_received(frame)
            else:
                handler(payload)

    def _start_splitting(self) -> FrameSplitter | None:
        """A splitter, once the connection is open and websockets' reader holds nothing
        (its parser waits for a frame's first byte); None until then, or for good if frames
        came with the handshake."""
        protocol = self.protocol
        if self._unsplit or protocol.state is not State.OPEN:
            return None
        if protocol.reader.buffer:
            self._unsplit = True
            return None
        self._plain_small = all(isinstance(e, LargeMessageDeflate) for e in protocol.extensions)
        self._splitter = FrameSplitter(protocol.max_message_size)
        return self._splitter

    def _direct_handler(self) -> Callable[[bytes], None] | None:
        """The frame handler if a plain binary frame can skip websockets now (it would hand
        the frame straight to it, see :meth:`process_event`), else None."""
        protocol = self.protocol
        if protocol.state is not State.OPEN or protocol.current_size is not None:
            return None
        return self._free_handler()

    def _free_handler(self) -> Callable[[bytes], None] | None:
        """The frame handler, unless it is unset or frames wait in the queue that ``recv``
        reads (handing it one now would change their order)."""
        queued = getattr(self.recv_messages, "frames", None)  # None: unknown, keep order
        if queued is None or len(queued):
            return None
        return self.frame_handler

    def process_event(self, event: Event) -> None:
        if isinstance(event, Frame) and event.opcode is Opcode.BINARY and event.fin:
            handler = self._free_handler()
            if handler is not None:
                handler(bytes(event.data))
                return
        super().process_event(event)

    def send_now(self, frame: bytes) -> bool:
        """Queue a binary frame on the socket; False if the connection is not open (or was
        just dropped for not reading)."""
        protocol = self.protocol
        if protocol.state is not State.OPEN:
            return False
        try:
            small = self._plain_small and len(frame) < MIN_SIZE
            if small and not protocol.expect_continuation_frame:
                if protocol.writes:  # websockets' own frames (a pong) go first
                    self.send_data()
                self.transport.write(binary_header(len(frame)) + frame)
            else:
                protocol.send_binary(frame)
                self.send_data()
        except Exception as exc:  # the socket failed: end the connection
            self.set_connection_exc(exc)
            self.transport.abort()
            return False
        if self.transport.get_write_buffer_size() > self.max_buffer:
            log.warning(
                "dropping a peer that does not read (over %d bytes unsent)", self.max_buffer
            )
            self.transport.abort()
            return False
        return True


async def close_connection(ws: ServerConnection, code: int = 1000, reason: str = "") -> None:
    """Close ``ws``, draining frames the peer already sent.

    Without draining, a peer that sent many frames (a flood) fills the receive queue,
    the connection stops reading, never sees the peer's close frame, and the close
    takes the whole close timeout.
    """
    closing = asyncio.create_task(ws.close(code, reason))
    with contextlib.suppress(ConnectionClosed, TimeoutError):
        async with asyncio.timeout(ws.close_timeout or 10.0):
            while True:
                await ws.recv()
    await closing
