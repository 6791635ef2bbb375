"""Sync over SSH, the client side: ``ssh://[user@]host[:port][/remote/data/dir]``.

Each connection attempt runs ``ssh -T [-p PORT] -- [user@]host goaltui relay --stdio``
with its stdin and stdout joined to one end of a ``socketpair``; the other end is the
socket the WebSocket client speaks through. No local port is opened, so no other user
of this machine can reach the connection, and SSH does the authentication.

``$GOALTUI_SSH`` is the ssh command (default ``ssh``; it may carry options, split like a
shell would), ``$GOALTUI_SSH_REMOTE`` the goaltui command on the remote host (default
``goaltui``; a full path for installs off the remote PATH). The remote side first writes
:data:`~.stdio.READY`; until then, an ssh that exits is a failed login or a missing
command, reported with ssh's own words and a hint.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import socket
import subprocess
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import unquote, urlsplit

from goalsync.repo.client import SocketFactory, SyncError, SyncRefused

from .stdio import READY

__all__ = [
    "SSH_ENV",
    "SSH_REMOTE_ENV",
    "SocketFactory",
    "SshTarget",
    "SshTransport",
    "SshUrlError",
    "is_ssh_url",
    "parse_ssh_url",
    "ssh_transport",
]

log = logging.getLogger(__name__)

SSH_ENV = "GOALTUI_SSH"
SSH_REMOTE_ENV = "GOALTUI_SSH_REMOTE"
MAX_PREAMBLE = 64 * 1024  # what a login script may print before the relay's ready line
STDERR_KEPT = 16 * 1024


class SshUrlError(SyncRefused):
    """An ``ssh://`` URL that cannot be used; the message says what to write instead."""


@dataclass(frozen=True)
class SshTarget:
    """Where to sync: the parts of an ``ssh://`` URL."""

    host: str
    user: str | None = None
    port: int | None = None
    data_dir: str | None = None  # None: the remote goaltui's default data directory

    @property
    def destination(self) -> str:
        """``user@host`` (or ``host``), as ssh takes it."""
        return f"{self.user}@{self.host}" if self.user else self.host

    def remote_command(self, goaltui: str) -> str:
        """The command line the remote shell runs (``goaltui`` is used as written)."""
        command = f"{goaltui} relay --stdio"
        if self.data_dir is not None:
            command += f" --data-dir {shlex.quote(self.data_dir)}"
        return command

    def argv(self, ssh: list[str], goaltui: str) -> list[str]:
        """The ssh command line: no tty (bytes pass unchanged), then the remote command."""
        port = ["-p", str(self.port)] if self.port is not None else []
        return [*ssh, "-T", *port, "--", self.destination, self.remote_command(goaltui)]


def is_ssh_url(url: str) -> bool:
    """True for an ``ssh://`` URL (the other transports take ws:// and wss://)."""
    return url[:6].lower() == "ssh://"


def _bad(url: str, what: str) -> SshUrlError:
    return SshUrlError(
        f"{url!r}: {what}; write ssh://[user@]host[:port][/remote/data/dir], "
        "e.g. ssh://dana@goals.example.org/srv/goaltui"
    )


def _safe(part: str) -> bool:
    return bool(part) and not part.startswith("-") and part.isprintable() and " " not in part


def parse_ssh_url(url: str) -> SshTarget:
    """The target of ``ssh://[user@]host[:port][/path]``; ``/~/path`` is relative to home."""
    if not is_ssh_url(url):
        raise _bad(url, "not an ssh:// URL")
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise _bad(url, "an ssh:// URL has no ?query or #fragment")
    if parts.password is not None:
        raise _bad(url, "passwords do not belong in URLs (use an SSH key or ssh-agent)")
    try:
        port = parts.port
    except ValueError:
        raise _bad(url, "the port must be a number from 1 to 65535") from None
    host = parts.hostname or ""
    if not _safe(host):
        raise _bad(url, "no valid host name")
    user = unquote(parts.username) if parts.username is not None else None
    if user is not None and not _safe(user):
        raise _bad(url, "the user name is empty or not valid")
    if port == 0:
        raise _bad(url, "the port must be a number from 1 to 65535")
    path = unquote(parts.path)
    if path in ("", "/"):
        data_dir = None
    elif path == "/~" or path.startswith("/~/"):
        data_dir = path[1:]
    else:
        data_dir = path
    if data_dir is not None and not data_dir.isprintable():
        raise _bad(url, "the data directory has control characters")
    return SshTarget(host, user, port, data_dir)


def _ssh_command(env: Mapping[str, str]) -> list[str]:
    raw = env.get(SSH_ENV, "").strip() or "ssh"
    try:
        words = shlex.split(raw)
    except ValueError as exc:
        raise SyncRefused(f"${SSH_ENV} ({raw!r}) cannot be split into words: {exc}") from None
    return words


def _last_lines(text: str) -> str:
    """ssh's own explanation: its non-empty lines, warnings about known hosts left out."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith("Warning: Permanently added")]
    return "; ".join(useful[-3:]) or "(no message)"


def explain(url: str, returncode: int | None, stderr: str) -> SyncError:
    """The error for an ssh that ended before the remote relay was ready."""
    said = _last_lines(stderr)
    low = stderr.lower()
    if returncode == 127 or "command not found" in low:  # 127: the shell found no command
        return SyncRefused(
            f"{url}: the remote host cannot run goaltui ({said}); install goaltui there, or set "
            f"${SSH_REMOTE_ENV} to its full path (e.g. ~/.local/bin/goaltui)"
        )
    if "no such option: --stdio" in low:
        return SyncRefused(
            f"{url}: the remote goaltui is too old to sync over SSH (it has no 'relay --stdio');"
            " upgrade goaltui on that host"
        )
    login = "permission denied" in low or "host key verification failed" in low
    if returncode == 255 and login:  # 255: ssh itself failed, not the remote command
        return SyncRefused(
            f"{url}: SSH could not log in ({said}); check the user, your key (ssh-add -l) and "
            "known_hosts by running plain 'ssh' to that host"
        )
    if returncode == 255:
        return SyncError(f"{url}: SSH could not connect ({said}); check the host and port")
    return SyncRefused(f"{url}: the remote 'goaltui relay --stdio' failed ({said})")


class _Drain:
    """Reads ssh's stderr to its end (so ssh never blocks on it), keeping the tail."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.text = bytearray()
        self.task = asyncio.ensure_future(self._run(stream))

    async def _run(self, stream: asyncio.StreamReader) -> None:
        while data := await stream.read(4096):
            self.text += data
            del self.text[:-STDERR_KEPT]
            log.debug("ssh: %s", data.decode(errors="replace").rstrip())

    def __str__(self) -> str:
        return self.text.decode(errors="replace")


@dataclass(eq=False)
class _Spawned:
    proc: asyncio.subprocess.Process
    sock: socket.socket
    stderr: _Drain


class SshTransport:
    """Spawns one ssh per connection attempt and reaps every one of them on :meth:`close`.

    Use ``async with SshTransport(target) as t:`` and pass ``t.connect`` to
    ``SyncClient(..., connect_socket=t.connect)``.
    """

    def __init__(
        self,
        target: SshTarget,
        *,
        url: str | None = None,
        env: Mapping[str, str] | None = None,
        ready_timeout: float = 60.0,
        grace: float = 5.0,
    ) -> None:
        env = os.environ if env is None else env
        self.target = target
        self.url = url or f"ssh://{target.destination}"
        self.ssh = _ssh_command(env)
        self.remote = env.get(SSH_REMOTE_ENV, "").strip() or "goaltui"
        self.ready_timeout = ready_timeout
        self.grace = grace
        self._spawned: list[_Spawned] = []
        self._ending: dict[_Spawned, asyncio.Future[None]] = {}
        self.pids: list[int] = []  # every ssh spawned so far, running or not

    async def connect(self) -> socket.socket:
        """A socket connected to a fresh ``goaltui relay --stdio`` on the remote host."""
        self._prune()
        ours, theirs = socket.socketpair()
        argv = self.target.argv(self.ssh, self.remote)
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=theirs.fileno(), stdout=theirs.fileno(), stderr=subprocess.PIPE
            )
        except OSError as exc:
            ours.close()
            raise SyncRefused(
                f"{self.url}: cannot run {self.ssh[0]!r} ({exc.strerror or exc}); install "
                f"OpenSSH or point ${SSH_ENV} at an ssh program"
            ) from None
        finally:
            theirs.close()
        assert proc.stderr is not None
        spawned = _Spawned(proc, ours, _Drain(proc.stderr))
        self._spawned.append(spawned)
        self.pids.append(proc.pid)
        try:
            await self._await_ready(spawned)
        except BaseException:
            ours.close()
            await self._reap(spawned)
            raise
        return ours

    async def _await_ready(self, spawned: _Spawned) -> None:
        loop = asyncio.get_running_loop()
        spawned.sock.setblocking(False)
        seen = b""
        try:
            async with asyncio.timeout(self.ready_timeout):
                while READY not in seen:
                    data = await loop.sock_recv(spawned.sock, 4096)
                    if not data:
                        break
                    seen += data
                    if len(seen) > MAX_PREAMBLE:
                        raise SyncRefused(
                            f"{self.url}: the remote side printed {len(seen)} bytes that are "
                            "not goaltui's; check its login scripts"
                        )
        except TimeoutError:
            raise SyncError(
                f"{self.url}: no answer from ssh within {self.ready_timeout:g} s"
            ) from None
        if READY in seen and not seen.endswith(READY):
            raise SyncRefused(f"{self.url}: unexpected bytes after the remote relay's ready line")
        if READY not in seen:
            if await self._wait_exit(spawned, self.grace):
                await asyncio.wait({spawned.stderr.task}, timeout=self.grace)
            raise explain(self.url, spawned.proc.returncode, str(spawned.stderr))

    def _prune(self) -> None:
        """Forget the ssh processes that ended; end, in the background, those whose
        connection is over (its socket closed by the WebSocket layer) but that linger, e.g.
        on a dead network, so a long ``--watch`` does not pile them up."""
        keep = []
        for spawned in self._spawned:
            if spawned.proc.returncode is not None and spawned.stderr.task.done():
                self._ending.pop(spawned, None)
                continue
            if spawned.sock.fileno() == -1 and spawned not in self._ending:
                self._ending[spawned] = asyncio.ensure_future(self._reap(spawned))
            keep.append(spawned)
        self._spawned = keep

    async def _wait_exit(self, spawned: _Spawned, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(spawned.proc.wait(), timeout)
        return spawned.proc.returncode is not None

    async def _reap(self, spawned: _Spawned) -> None:
        """End ``spawned``: its socket is shut down, so ssh sees EOF and exits; else kill it.

        Shut down, not closed: the WebSocket connection owns the descriptor and closes it.
        """
        with contextlib.suppress(OSError):
            spawned.sock.shutdown(socket.SHUT_RDWR)
        try:
            if not await self._wait_exit(spawned, self.grace):
                spawned.proc.terminate()
                if not await self._wait_exit(spawned, self.grace):
                    spawned.proc.kill()
                    await spawned.proc.wait()
            await spawned.stderr.task
        finally:
            if spawned.proc.returncode is None:  # cancelled meanwhile: never leave it running
                with contextlib.suppress(ProcessLookupError):
                    spawned.proc.kill()
            spawned.stderr.task.cancel()

    async def close(self) -> None:
        """Reap every ssh spawned: wait for it to end, terminate or kill it if it does not."""
        spawned, self._spawned = self._spawned, []
        try:
            await asyncio.gather(*(self._reap(s) for s in spawned), *self._ending.values())
            self._ending.clear()
        finally:
            self._spawned = [s for s in spawned if s.proc.returncode is None]

    async def __aenter__(self) -> SshTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


@contextlib.asynccontextmanager
async def ssh_transport(
    url: str, *, env: Mapping[str, str] | None = None
) -> AsyncIterator[SocketFactory | None]:
    """For an ``ssh://`` URL, a socket factory for ``SyncClient(connect_socket=…)`` whose ssh
    processes are all reaped on exit; None for any other URL (plain WebSocket)."""
    if not is_ssh_url(url):
        yield None
        return
    async with SshTransport(parse_ssh_url(url), url=url, env=env) as transport:
        yield transport.connect
