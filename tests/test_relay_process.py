"""The relay as a process (`goaltui relay`): banner, 127.0.0.1 by default, TLS, a clean
stop on SIGTERM that loses no acknowledged change, and one-line start-up errors."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from websockets.exceptions import InvalidMessage

from goalsync.protocol.docid import new_document_id
from goalsync.protocol.messages import Peer
from goalsync.relay import RelayConfig, TokenStore, build_relay
from goalsync.relay.runner import run_event_loop
from goalsync.repo.client import sync_once
from goalsync.storage import DocumentStore, MemoryChunkStore
from helpers.relay_peers import edit, keys, new_doc, open_peer


def goaltui_command() -> list[str]:
    script = Path(sys.executable).parent / "goaltui"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from goaltui.cli.app import main; main()"]


class RelayProcess:
    """``goaltui relay --port 0`` in a subprocess; ``url`` from its "listening on" line."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str) -> None:
        self.proc, self.url = proc, url

    @classmethod
    async def start(cls, data_dir: Path, *extra: str) -> RelayProcess:
        proc = await asyncio.create_subprocess_exec(
            *goaltui_command(),
            "relay",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            *extra,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        assert line.startswith("listening on "), line
        return cls(proc, line.removeprefix("listening on "))

    async def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        """Signal the relay; (exit code, stderr)."""
        self.proc.send_signal(sig)
        _, err = await asyncio.wait_for(self.proc.communicate(), 30)
        return self.proc.returncode or 0, err.decode()


@pytest.fixture
async def relay_proc(tmp_path: Path) -> AsyncIterator[tuple[RelayProcess, str]]:
    token = TokenStore(tmp_path / "data" / "relay").add("laptop", "acme")
    proc = await RelayProcess.start(tmp_path / "data")
    yield proc, token
    if proc.proc.returncode is None:
        proc.proc.kill()
        await proc.proc.wait()


@pytest.mark.slow
async def test_sigterm_loses_no_acknowledged_change(
    tmp_path: Path, relay_proc: tuple[RelayProcess, str]
) -> None:
    relay, token = relay_proc
    assert relay.url.startswith("ws://127.0.0.1:")  # loopback unless --host is given
    doc_id = new_document_id()
    alice = DocumentStore(MemoryChunkStore())
    alice.append(doc_id, new_doc(first="1"), [], set())
    for i in range(5):
        edit(alice, doc_id, **{f"edit{i}": str(i)})
        assert (await sync_once(relay.url, alice, [doc_id], token)).synced == [doc_id]
    code, stderr = await relay.stop()
    assert code == 0, stderr
    assert token not in stderr
    restarted = await RelayProcess.start(tmp_path / "data")
    try:
        bob = DocumentStore(MemoryChunkStore())
        assert (await sync_once(restarted.url, bob, [doc_id], token)).synced == [doc_id]
        assert keys(bob, doc_id) == ["edit0", "edit1", "edit2", "edit3", "edit4", "first"]
    finally:
        assert (await restarted.stop(signal.SIGINT))[0] == 0


@pytest.mark.slow
async def test_get_slash_answers_a_plain_banner(relay_proc: tuple[RelayProcess, str]) -> None:
    relay, _ = relay_proc
    http_url = relay.url.replace("ws://", "http://") + "/"
    reply = await asyncio.to_thread(urllib.request.urlopen, http_url, timeout=10)
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/plain")
    assert b"goaltui relay" in reply.read()


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_tls_with_cert_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = _self_signed(tmp_path)
    token = TokenStore(tmp_path / "d" / "relay").add("laptop", "acme")
    async with build_relay(RelayConfig(tmp_path / "d", port=0, cert=cert, key=key)) as relay:
        assert relay.url.startswith("wss://127.0.0.1:")
        trusting = ssl.create_default_context(cafile=cert)
        peer = await open_peer(relay.url, "tls-peer", token=token, ssl=trusting)
        assert isinstance(await peer.join(), Peer)
        await peer.ws.close()
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # what the default context trusts
        doc_id = new_document_id()
        store = DocumentStore(MemoryChunkStore())
        store.append(doc_id, new_doc(k="v"), [], set())
        assert (await sync_once(relay.url, store, [doc_id], token)).synced == [doc_id]
        with pytest.raises(InvalidMessage):  # plain ws:// to a TLS port
            await open_peer(relay.url.replace("wss://", "ws://"), "plain", token=token)


def _cli(*args: str) -> tuple[int, str]:
    from goaltui.cli import commands  # noqa: F401  (registers the commands)
    from goaltui.cli.app import cli

    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_start_up_errors_are_one_line(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate\n")
    d = str(tmp_path / "d")
    code, out = _cli("relay", "--data-dir", d, "--cert", str(cert))
    assert (code, out.strip()) == (1, "Error: TLS needs both --cert and --key")
    code, out = _cli("relay", "--data-dir", d, "--cert", str(cert), "--key", str(cert))
    assert code == 1 and out.count("\n") == 1 and "cannot use certificate" in out
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out = _cli("relay", "--data-dir", d, "--port", str(port))
    assert code == 1 and f"cannot listen on 127.0.0.1:{port}" in out and "Traceback" not in out
    assert os.stat(d).st_mode & 0o777 == 0o700


def test_the_relay_runs_on_uvloop_where_installed() -> None:
    """``goaltui relay`` runs its loop through run_event_loop: libuv's loop where the
    platform has it (a dependency there), asyncio's own otherwise."""

    async def loop_module() -> str:
        return type(asyncio.get_running_loop()).__module__

    expected = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    assert run_event_loop(loop_module()).split(".")[0] == expected
