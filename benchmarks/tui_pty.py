"""Drive ``goaltui`` in a real pseudo-terminal: first frame, bytes and latency per key, RSS."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["PtyApp", "PtyTimeout"]

MARKER = b"sorted by"
"""Text of the alignment tree's heading: the first interactive frame has been drawn."""


class PtyTimeout(Exception):
    """The program did not draw what was awaited in time."""


class PtyApp:
    """A process on the slave side of a pty of ``cols``×``rows``; we read the master side."""

    def __init__(
        self, argv: Sequence[str], *, cols: int = 80, rows: int = 24, env: dict[str, str]
    ) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.output = bytearray()

    def read(self, timeout: float) -> bytes:
        """What arrives within ``timeout`` seconds (b"" if nothing)."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            return b""
        self.output += data
        return data

    def wait_for(self, marker: bytes, timeout: float) -> float:
        """Seconds since start until ``marker`` appeared in the output."""
        deadline = time.perf_counter() + timeout
        while marker not in self.output:
            if time.perf_counter() > deadline or self.proc.poll() is not None:
                tail = bytes(self.output[-300:]).decode("utf-8", "replace")
                raise PtyTimeout(f"no {marker!r} after {timeout:.0f} s; last output: {tail!r}")
            self.read(0.05)
        return time.perf_counter() - self.started

    def settle(self, quiet: float = 0.3, limit: float = 10.0) -> int:
        """Read until nothing arrives for ``quiet`` seconds; bytes read."""
        total = 0
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            data = self.read(quiet)
            if not data:
                break
            total += len(data)
        return total

    def key(self, data: bytes, quiet: float = 0.15) -> tuple[float, int]:
        """Send one key; (seconds until the last byte of the screen update, bytes written)."""
        sent = time.perf_counter()
        os.write(self.master, data)
        last, total = sent, 0
        while True:
            chunk = self.read(quiet)
            if not chunk:
                break
            last = time.perf_counter()
            total += len(chunk)
        return last - sent, total

    def rss_bytes(self) -> int:
        """Resident memory of the process (VmRSS)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise PtyTimeout("no VmRSS line in /proc status")

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.write(self.master, b"q")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
        os.close(self.master)
