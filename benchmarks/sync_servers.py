"""The servers the sync benchmarks talk to, each a real process on 127.0.0.1.

``goaltui relay`` (with a device token made through the TokenStore API) and the
official automerge-repo sync server (``sync/js/server.mjs``, bound to 127.0.0.1).
Both are context managers: leaving the block stops the process, whatever happened.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from benchmarks.common import Unavailable

__all__ = [
    "JS_DIR",
    "OfficialServer",
    "RelayProcess",
    "ServerProcess",
    "cpu_seconds",
    "rss_bytes",
]

ROOT = Path(__file__).resolve().parent.parent
JS_DIR = ROOT / "sync" / "js"
START_TIMEOUT = 20.0
TOKEN_NAME = "bench"
TEAM = "bench"
_LISTENING = re.compile(r"listening on (wss?://\S+)", re.IGNORECASE)
_JS_LISTENING = re.compile(r"Listening on port (\d+)")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (from /proc/<pid>/stat)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_bytes(pid: int) -> int:
    """Resident memory of process ``pid`` (VmRSS), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    """A server process whose stderr goes to a log file; ``url`` once started."""

    name = "server"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.url = ""
        self.token: str | None = None
        self.proc: subprocess.Popen[str] | None = None
        self._log: Path = data_dir.with_name(data_dir.name + ".log")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def client_url(self) -> str:
        """The URL a stock JS client uses: the token, if any, in the query."""
        return f"{self.url}/?token={self.token}" if self.token else self.url

    def start(self) -> ServerProcess:
        """Start the process; ``url`` is valid when this returns."""
        raise NotImplementedError

    def _spawn(
        self, argv: list[str], env: dict[str, str], cwd: Path, pattern: re.Pattern[str]
    ) -> str:
        with open(self._log, "w") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL,
                text=True,
            )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            found = pattern.search(line)
            if found:
                return found.group(1)
        tail = self._log.read_text().strip().splitlines()[-1:] if self._log.exists() else []
        self.stop()
        raise Unavailable(f"{self.name} did not start: {(tail or ['no output'])[0][:160]}")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s); idempotent."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class RelayProcess(ServerProcess):
    """``goaltui relay --port 0 --data-dir D`` with one device token (team ``bench``)."""

    name = "goaltui relay"

    def start(self, *extra: str) -> RelayProcess:
        from goalsync.relay import TokenStore

        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.token = TokenStore(self.data_dir / "relay").add(TOKEN_NAME, TEAM)
        exe = Path(sys.executable).with_name("goaltui")
        argv = [str(exe)] if exe.exists() else [sys.executable, "-m", "goaltui"]
        argv += ["relay", "--port", "0", "--data-dir", str(self.data_dir), *extra]
        self.url = self._spawn(argv, dict(os.environ), ROOT, _LISTENING)
        return self


class OfficialServer(ServerProcess):
    """The official sync server (pinned in sync/js), bound to 127.0.0.1."""

    name = "official sync server"

    def start(self) -> OfficialServer:
        if not shutil.which("node"):
            raise Unavailable("node is not installed")
        if not (JS_DIR / "node_modules" / "@automerge" / "automerge-repo-sync-server").is_dir():
            raise Unavailable("the JS packages are missing: run `cd sync/js && npm ci`")
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        port = _free_port()
        env = dict(os.environ, PORT=str(port), DATA_DIR=str(self.data_dir))
        self._spawn(["node", "server.mjs"], env, JS_DIR, _JS_LISTENING)
        self.url = f"ws://127.0.0.1:{port}"
        _await_join(self.url)
        return self


def _await_join(url: str) -> None:
    """Wait until a join is answered: the official server drops joins in its first
    milliseconds (PROTOCOL.md §1.7), which would cost a timed client a 1 s retry."""
    from websockets.sync.client import connect

    from goalsync.protocol.messages import Join, Peer, PeerMetadata, decode, encode

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with connect(url, open_timeout=2) as ws:
                ws.send(encode(Join("bench-probe", PeerMetadata(None, True), ("1",))))
                frame = ws.recv(timeout=0.5)
                if isinstance(frame, bytes) and isinstance(decode(frame), Peer):
                    return
        except Exception:  # refused, reset, timed out: not up yet
            time.sleep(0.02)
    raise Unavailable(f"the official sync server at {url} never answered a join")
