"""WebSocket frames (RFC 6455 §5.2) read and written by the relay itself, for the common case.

websockets parses each frame with a generator-based reader, a ``Frame`` object, the
extensions' hooks and an event list; it writes each one through a ``Frame``, the
extensions and a list of pending writes. For a relay whose work per frame is a few dozen
microseconds that machinery was a quarter of its CPU under load. Nearly every frame is a
small, final, binary one, so:

- :class:`FrameSplitter` cuts what the socket delivers into whole frames. A frame that
  is a final binary frame with no extension bit set (:func:`binary_payload`) is unmasked
  here; any other frame (control, text, fragmented, deflated, malformed) is handed,
  whole, to websockets, whose parser therefore always starts at a frame boundary and
  treats it exactly as it would have;
- :func:`binary_header` is the header of a final, unmasked binary frame (what a server
  sends).

Only what can be framed is split: a header announcing more than the size limit ends the
splitting for that connection (:attr:`FrameSplitter.broken`), and websockets, handed the
rest, rejects it with its usual close code.
"""

from __future__ import annotations

from websockets.frames import apply_mask

__all__ = ["FIN_BINARY", "FrameSplitter", "binary_header", "binary_payload"]

FIN_BINARY = 0x82  # FIN set, RSV1-3 clear, opcode 2 (binary)
_MASKED = 0x80


class FrameSplitter:
    """Splits a byte stream into whole WebSocket frames, keeping an unfinished one."""

    def __init__(self, max_size: int | None) -> None:
        self.max_size = max_size
        self.broken = False  # a frame too large to split: the rest is the caller's
        self._pending = bytearray()
        self._needed = 0  # bytes the unfinished frame needs in all (0: its header is short)

    def split(self, data: bytes) -> list[bytes]:
        """The frames ``data`` completes, in order. Once the stream cannot be split, the
        rest of it (pending bytes included) comes back as one last chunk and
        :attr:`broken` is set; from then on each call returns its ``data`` as it is."""
        if self.broken:
            return [data]
        pending = self._pending
        if pending:
            pending += data
            if len(pending) < self._needed:
                return []
            buf = bytes(pending)
            pending.clear()
        else:
            buf = data
        frames: list[bytes] = []
        pos, end = 0, len(buf)
        while pos < end:
            size = self._frame_size(buf, pos, end)
            if size < 0:
                self.broken = True
                frames.append(buf[pos:])
                return frames
            if size == 0 or pos + size > end:
                self._needed = size
                pending += buf[pos:]
                return frames
            frames.append(buf[pos : pos + size])
            pos += size
        self._needed = 0
        return frames

    def _frame_size(self, buf: bytes, pos: int, end: int) -> int:
        """The size of the frame at ``pos``, header included; 0 if its header is not
        all there yet; -1 if its payload is over the size limit."""
        if end - pos < 2:
            return 0
        second = buf[pos + 1]
        length = second & 0x7F
        header = 2
        if length == 126:
            header = 4
            if end - pos < header:
                return 0
            length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
        elif length == 127:
            header = 10
            if end - pos < header:
                return 0
            length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
        if self.max_size is not None and length > self.max_size:
            return -1
        if second & _MASKED:
            header += 4
        return header + length


def binary_payload(frame: bytes) -> bytes | None:
    """The unmasked payload of a whole frame if it is a final, masked binary frame with
    no extension bit set (a client's plain message); None for any other frame."""
    if frame[0] != FIN_BINARY or not frame[1] & _MASKED:
        return None
    length = frame[1] & 0x7F
    start = 2 if length < 126 else 4 if length == 126 else 10
    return apply_mask(frame[start + 4 :], frame[start : start + 4])


def binary_header(size: int) -> bytes:
    """The header of a final, unmasked binary frame of ``size`` bytes."""
    if size < 126:
        return bytes((FIN_BINARY, size))
    if size < 0x10000:
        return bytes((FIN_BINARY, 126)) + size.to_bytes(2, "big")
    return bytes((FIN_BINARY, 127)) + size.to_bytes(8, "big")
