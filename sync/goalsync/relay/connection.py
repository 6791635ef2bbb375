"""A WebSocket server connection with a synchronous path for whole binary frames.

websockets hands each received message to a queue that a reader coroutine awaits, and
each send goes through an async context (a lock, a drain). For a relay whose work per
frame is a few dozen microseconds that machinery costs as much as the work: a task
switch per frame in, an awaited context per frame out. So, once a peer has joined:

- each whole binary frame is handed to :attr:`RelayConnection.frame_handler` as soon as
  it is parsed, in the order received. A frame goes the usual way (the queue that
  ``recv`` reads) when the handler is unset, or when frames are already waiting in that
  queue (so that order is kept), and so do text and fragmented frames;
- :meth:`RelayConnection.send_now` writes a frame to the socket without waiting. There
  is no backpressure then, so a peer that does not read (its unsent bytes above
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

__all__ = ["RelayConnection", "close_connection"]

log = logging.getLogger(__name__)

MAX_BUFFER = 96 * 1024 * 1024  # bytes queued for one slow reader before it is dropped


class RelayConnection(ServerConnection):
    """``ServerConnection`` plus a frame handler and a send that does not wait."""

    frame_handler: Callable[[bytes], None] | None = None
    max_buffer: int = MAX_BUFFER

    def process_event(self, event: Event) -> None:
        handler = self.frame_handler
        queued = getattr(self.recv_messages, "frames", None)  # None: unknown, keep order
        if (
            handler is not None
            and queued is not None
            and isinstance(event, Frame)
            and event.opcode is Opcode.BINARY
            and event.fin
            and not len(queued)
        ):
            handler(bytes(event.data))
            return
        super().process_event(event)

    def send_now(self, frame: bytes) -> bool:
        """Queue a binary frame on the socket; False if the connection is not open (or was
        just dropped for not reading)."""
        if self.protocol.state is not State.OPEN:
            return False
        try:
            self.protocol.send_binary(frame)
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
