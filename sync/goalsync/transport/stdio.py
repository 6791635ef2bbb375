"""The remote end of sync over SSH: one relay connection carried by stdin and stdout.

``goaltui relay --stdio`` runs here, started by ``ssh`` on the far side. It reuses the
relay unchanged: a :class:`~goalsync.relay.server.Relay` on a free loopback port, and a
pump that copies bytes between stdin/stdout and one TCP connection to it. Other users
of a shared server can reach loopback ports too, so the relay accepts exactly one
upgrade, carrying a random one-time token that only the pump knows: the pump writes it
into the client's upgrade request (SSH already authenticated the user, whose files
these are, so the token grants every document of the data directory).

Nothing but protocol bytes reaches stdout: the pump keeps private copies of the two
descriptors and points fds 0 and 1 at /dev/null and stderr before the relay starts,
so a stray ``print`` or a library warning cannot corrupt the stream. The first line
written is :data:`READY`, which tells the client that SSH logged in and the relay
listens (whatever a login script printed before it is skipped by the client).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import secrets
import signal
import socket
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from goalsync.durable import private_dir
from goalsync.relay.auth import Principal
from goalsync.relay.limits import RelayLimits

__all__ = ["READY", "OneTimeToken", "StdioError", "inject_token", "serve_stdio", "take_stdio"]

log = logging.getLogger(__name__)

READY = b"\ngoaltui-stdio-relay 1 ready\n"
MAX_HEAD = 16 * 1024  # an upgrade request's head is a few hundred bytes
CHUNK = 256 * 1024
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
DRAIN_SECONDS = 10.0  # after stdin closed, how long the relay may take to finish answering


class StdioError(Exception):
    """``relay --stdio`` cannot run; the message says why and what to do."""


class OneTimeToken:
    """An authorizer that admits one upgrade, the one presenting ``token``; every document."""

    def __init__(self, token: str) -> None:
        self._token = token
        self._used = False

    def authenticate(self, path: str, headers: Mapping[str, str]) -> Principal | None:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if self._used or scheme.lower() != "bearer":
            return None
        if not hmac.compare_digest(value.strip().encode(), self._token.encode()):
            return None
        self._used = True
        return Principal("ssh", None)

    def may_access(self, principal: Principal, doc_id: str) -> bool:
        return True


def inject_token(head: bytes, token: str) -> bytes:
    """The request head with any ``Authorization`` header replaced by the pump's token.

    ``head`` ends with the blank line (``\\r\\n\\r\\n``) that closes an HTTP request head.
    """
    lines = head[:-4].split(b"\r\n")
    kept = [line for line in lines if not line.lower().startswith(b"authorization:")]
    kept.append(b"Authorization: Bearer " + token.encode("ascii"))
    return b"\r\n".join(kept) + b"\r\n\r\n"


@dataclass
class Stdio:
    """The two private descriptors the pump owns."""

    stdin: int
    stdout: int


def take_stdio() -> Stdio:
    """Keep private copies of fds 0 and 1; point 0 at /dev/null and 1 at stderr."""
    if os.isatty(0) or os.isatty(1):
        raise StdioError(
            "relay --stdio speaks the sync protocol on stdin/stdout; it is started by "
            "'goaltui sync ssh://…' on the other machine, not by hand"
        )
    if not (_is_stream(0) and _is_stream(1)):
        raise StdioError("relay --stdio needs stdin and stdout to be pipes or sockets")
    stdio = Stdio(os.dup(0), os.dup(1))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return stdio


async def serve_stdio(data_dir: Path, stdio: Stdio, *, limits: RelayLimits | None = None) -> None:
    """Serve one sync connection on ``stdio`` for the documents in ``data_dir/repo``.

    Edits that other processes store in ``data_dir`` meanwhile are forwarded to the
    peer (:mod:`.foreign`). Returns when the connection is over (stdin closed, or the
    relay closed it), after the relay stopped: every change it acknowledged is in the
    store by then. SIGTERM, SIGINT and SIGHUP end the connection the same way.
    """
    from goalsync.relay.server import Relay
    from goalsync.storage import DocumentStore, FileChunkStore

    from .foreign import forward_foreign_edits

    repo = private_dir(_data_dir(data_dir.expanduser()) / "repo")
    token = secrets.token_urlsafe(32)
    store = DocumentStore(FileChunkStore(repo))
    relay = Relay(store, authorizer=OneTimeToken(token), limits=limits)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    await relay.start()
    foreign = asyncio.ensure_future(forward_foreign_edits(relay))
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
        try:
            await _pump(stdio, reader, writer, token, stop)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    finally:
        foreign.cancel()
        await asyncio.gather(foreign, return_exceptions=True)
        await relay.stop()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


async def _pump(
    stdio: Stdio,
    relay_in: asyncio.StreamReader,
    relay_out: asyncio.StreamWriter,
    token: str,
    stop: asyncio.Event,
) -> None:
    stdin, stdout = await _open_stdio(stdio)
    try:
        stdout.write(READY)
        await stdout.drain()
        up = asyncio.ensure_future(_upstream(stdin, relay_out, token))
        down = asyncio.ensure_future(_copy(relay_in, stdout))
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({up, down, stopper}, return_when=asyncio.FIRST_COMPLETED)
        served = up.done() and not up.cancelled() and up.exception() is None and up.result()
        if served and not down.done() and not stop.is_set():
            # stdin closed: let the relay finish answering what it got
            await asyncio.wait({down, stopper}, timeout=DRAIN_SECONDS)
        for task in (up, down, stopper):
            task.cancel()
        await asyncio.gather(up, down, stopper, return_exceptions=True)
    finally:
        stdout.close()


async def _open_stdio(stdio: Stdio) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Streams over the two descriptors. One socket serving as both (what a socketpair
    given to a child as stdin and stdout is) gets one transport: two transports on one
    socket would each take the other's readiness for a hang-up."""
    loop = asyncio.get_running_loop()
    a, b = os.fstat(stdio.stdin), os.fstat(stdio.stdout)
    if stat.S_ISSOCK(a.st_mode) and (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino):
        os.close(stdio.stdout)
        sock = socket.socket(fileno=stdio.stdin)
        return await asyncio.open_connection(sock=sock, limit=CHUNK)
    reader = asyncio.StreamReader(limit=CHUNK)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(stdio.stdin, "rb", buffering=0)
    )
    transport, protocol = await loop.connect_write_pipe(
        lambda: asyncio.streams.FlowControlMixin(), os.fdopen(stdio.stdout, "wb", buffering=0)
    )
    return reader, asyncio.StreamWriter(transport, protocol, None, loop)


async def _upstream(stdin: asyncio.StreamReader, relay: asyncio.StreamWriter, token: str) -> bool:
    """stdin → relay: the upgrade request with the token written in, then bytes as they
    come; False if no request came (nothing to wait for from the relay)."""
    try:
        head = await stdin.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        log.info("stdin closed or sent no HTTP request head; nothing to serve")
        return False
    if len(head) > MAX_HEAD:
        log.info("the upgrade request head is over %d bytes; not serving it", MAX_HEAD)
        return False
    relay.write(inject_token(head, token))
    await _copy(stdin, relay)
    return True


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy until ``source`` ends, then half-close ``sink`` (if it can)."""
    try:
        while data := await source.read(CHUNK):
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()
        else:
            sink.close()
    except (ConnectionError, BrokenPipeError) as exc:
        log.info("stdio relay: a side closed: %s", exc)


def _data_dir(path: Path) -> Path:
    """A missing data directory is created 0700; an existing one is left as its owner set
    it (it may be a home directory), and only ``repo/`` inside it is made private."""
    if not path.exists():
        private_dir(path)
    elif not path.is_dir():
        raise StdioError(f"{path} is not a directory; give a goaltui data directory")
    return path


def _is_stream(fd: int) -> bool:
    """True for a pipe or a socket: what the pump can wait on."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
