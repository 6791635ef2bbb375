"""The SSH transport's parts without sshd: the one-time token that guards the remote
relay's loopback port, the stdio relay run by a stand-in for ssh (same socketpair code
path), login-script noise before the ready line, and no ssh left behind on cancel."""

from __future__ import annotations

import asyncio
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from goalsync.relay.server import Relay
from goalsync.repo.client import SyncRefused
from goalsync.storage import DocumentStore, MemoryChunkStore
from goalsync.transport.ssh import SshTarget, SshTransport, explain, parse_ssh_url
from goalsync.transport.stdio import READY, OneTimeToken, inject_token
from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace
from goaltui.workspace.sync import SyncFailed, fetch, sync_once, watch

GOALTUI = str(Path(sys.executable).parent / "goaltui")


def fake_ssh(preamble: str = "") -> str:
    """A stand-in for ssh: runs the remote command (its last argument) here, as ssh would
    run it there, with stdin/stdout still the transport's socketpair."""
    script = f'{preamble}eval "exec ${{@: -1}}"'
    return f"bash -c {shlex.quote(script)} fake-ssh"


def gone(pid: int) -> bool:
    """True once ``pid`` exited and was reaped (a zombie still answers signal 0)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_inject_token_replaces_the_clients_authorization() -> None:
    head = (
        b"GET / HTTP/1.1\r\nHost: x\r\nauthorization: Bearer theirs\r\nUpgrade: websocket\r\n\r\n"
    )
    out = inject_token(head, "ours")
    assert out.endswith(b"\r\n\r\n") and out.count(b"\r\n\r\n") == 1
    assert b"theirs" not in out
    assert out.count(b"Authorization: Bearer ours\r\n") == 1
    assert out.startswith(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")


async def test_the_loopback_relay_admits_only_one_upgrade_with_the_token() -> None:
    async with Relay(DocumentStore(MemoryChunkStore()), authorizer=OneTimeToken("s3cret")) as r:
        for headers in ({}, {"Authorization": "Bearer guess"}):
            with pytest.raises(InvalidStatus) as refused:
                await connect(r.url, additional_headers=headers)
            assert refused.value.response.status_code == 401
        ws = await connect(r.url, additional_headers={"Authorization": "Bearer s3cret"})
        await ws.close()
        with pytest.raises(InvalidStatus):  # used up: another local user cannot reuse it
            await connect(r.url, additional_headers={"Authorization": "Bearer s3cret"})


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("ssh://host", SshTarget("host")),
        ("ssh://dana@host:2222/srv/goals", SshTarget("host", "dana", 2222, "/srv/goals")),
        ("SSH://host/~/goals", SshTarget("host", None, None, "~/goals")),
        ("ssh://[::1]/my%20goals", SshTarget("::1", None, None, "/my goals")),
    ],
)
def test_ssh_urls(url: str, target: SshTarget) -> None:
    assert parse_ssh_url(url) == target


def test_remote_command_quotes_the_data_dir() -> None:
    argv = SshTarget("h", "u", 2222, "/a b;rm -rf x").argv(["ssh"], "goaltui")
    assert argv[:6] == ["ssh", "-T", "-p", "2222", "--", "u@h"]
    assert shlex.split(argv[6]) == ["goaltui", "relay", "--stdio", "--data-dir", "/a b;rm -rf x"]


def two_sides(tmp_path: Path) -> tuple[WorkspacePaths, WorkspacePaths]:
    remote = WorkspacePaths(tmp_path / "B", "team")
    with Workspace.create(remote) as ws:
        ws.add_goal("Remote goal")
        doc_id = ws.doc_id
    local = WorkspacePaths(tmp_path / "A", "team")
    Workspace.attach(local, doc_id)
    return local, remote


def url_of(remote: WorkspacePaths) -> str:
    return f"ssh://nobody@example.invalid{remote.data_dir}"


async def test_stdio_relay_through_a_stand_in_ssh_skips_login_noise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "GOALTUI_SSH", fake_ssh("echo 'Welcome to the server'; printf 'no newline';")
    )
    monkeypatch.setenv("GOALTUI_SSH_REMOTE", GOALTUI)
    local, remote = two_sides(tmp_path)
    await fetch(local, url_of(remote), None)
    with Workspace.open(local) as ws:
        ws.add_goal("Local goal")
        summary, conflicts = await sync_once(ws, url_of(remote), None)
        assert summary.synced == [ws.doc_id] and conflicts == 0
        assert {g.title for g in ws.records("goals")} == {"Remote goal", "Local goal"}
    with Workspace.open(remote) as ws:
        assert {g.title for g in ws.records("goals")} == {"Remote goal", "Local goal"}


async def test_a_remote_relay_that_fails_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOALTUI_SSH", fake_ssh())
    monkeypatch.setenv("GOALTUI_SSH_REMOTE", GOALTUI)
    local, _ = two_sides(tmp_path)
    with pytest.raises(SyncFailed) as failed:
        await fetch(local, "ssh://host/proc/no-such-dir", None)
    assert "the remote 'goaltui relay --stdio' failed" in str(failed.value)
    assert "cannot use the data directory /proc/no-such-dir" in str(failed.value)


async def test_every_ssh_is_reaped_even_when_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOALTUI_SSH", "bash -c 'exec sleep 600' hung-ssh")
    transport = SshTransport(parse_ssh_url("ssh://host/B"), grace=0.05)
    attempt = asyncio.ensure_future(transport.connect())
    while not transport.pids:  # spawned; now waiting for a ready line that never comes
        await asyncio.sleep(0)
    attempt.cancel()
    with pytest.raises(asyncio.CancelledError):
        await attempt
    await transport.close()
    assert all(gone(pid) for pid in transport.pids)


async def test_ssh_that_never_answers_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOALTUI_SSH", "bash -c 'exec sleep 600' hung-ssh")
    async with SshTransport(parse_ssh_url("ssh://host/B"), ready_timeout=0.2, grace=0.05) as t:
        with pytest.raises(Exception, match=r"no answer from ssh within 0\.2 s"):
            await t.connect()
    assert t.pids and all(gone(pid) for pid in t.pids)


async def test_watch_receives_edits_made_on_the_remote_host_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOALTUI_SSH", fake_ssh())
    monkeypatch.setenv("GOALTUI_SSH_REMOTE", GOALTUI)
    local, remote = two_sides(tmp_path)
    await fetch(local, url_of(remote), None)
    lines: list[str] = []
    stop = asyncio.Event()
    with Workspace.open(local) as ws:
        watcher = asyncio.ensure_future(
            watch(ws, url_of(remote), None, stop=stop, report=lines.append)
        )
        deadline = time.monotonic() + 30
        while "synced" not in lines:  # connected, and the remote relay has the document open
            assert not watcher.done() and time.monotonic() < deadline, lines
            await asyncio.sleep(0.01)
        with Workspace.open(remote) as server_side:  # e.g. the team lead's TUI on the server
            server_side.add_goal("Edited on the server")
        while not any(line.startswith("received changes") for line in lines):
            assert not watcher.done() and time.monotonic() < deadline, lines
            await asyncio.sleep(0.01)
        stop.set()
        await watcher
        assert {g.title for g in ws.records("goals")} == {"Remote goal", "Edited on the server"}


def test_relay_stdio_exits_when_stdin_closes_without_a_request(tmp_path: Path) -> None:
    (tmp_path / "B").mkdir()
    os.chmod(tmp_path / "B", 0o755)  # e.g. a home directory: not the relay's to tighten
    ours, theirs = socket.socketpair()
    with ours, theirs:
        proc = subprocess.Popen(
            [GOALTUI, "relay", "--stdio", "--data-dir", str(tmp_path / "B")],
            stdin=theirs.fileno(),
            stdout=theirs.fileno(),
            stderr=subprocess.PIPE,
        )
        theirs.close()
        ready = b""
        while not ready.endswith(READY):
            chunk = ours.recv(4096)
            assert chunk, "relay --stdio closed before its ready line"
            ready += chunk
        ours.shutdown(socket.SHUT_WR)  # the client went away before saying anything
        assert ours.recv(4096) == b""  # it closes its side too
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert (tmp_path / "B").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "B" / "repo").stat().st_mode & 0o777 == 0o700


async def test_an_ssh_lingering_after_its_connection_is_ended_at_the_next_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ready = READY.decode().replace("\n", "\\n")
    script = f"printf '{ready}'; exec sleep 600"  # ready, then deaf to EOF (a dead network)
    monkeypatch.setenv("GOALTUI_SSH", f"bash -c {shlex.quote(script)} deaf-ssh")
    async with SshTransport(parse_ssh_url("ssh://host/B"), grace=0.05) as transport:
        first = await transport.connect()
        first.close()  # what the WebSocket layer does when the connection ends
        second = await transport.connect()
        deadline = time.monotonic() + 30
        while not gone(transport.pids[0]):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        assert not gone(transport.pids[1])  # the live connection's ssh is untouched
        second.close()
    assert all(gone(pid) for pid in transport.pids)


@pytest.mark.parametrize(
    ("code", "stderr", "says", "retry"),
    [
        (255, "ssh: connect to host h port 22: Connection refused\n", "could not connect", True),
        (255, "ssh: Could not resolve hostname h: Name or service not known\n", "connect", True),
        (255, "u@h: Permission denied (publickey).\n", "could not log in", False),
        (255, "Host key verification failed.\n", "could not log in", False),
        (127, "bash: line 1: goaltui: command not found\n", "GOALTUI_SSH_REMOTE", False),
        (2, "Usage: goaltui relay …\nError: No such option: --stdio\n", "too old", False),
        (1, "Error: cannot use the data directory /x: Permission denied\n", "failed", False),
    ],
)
def test_ssh_failures_are_explained(code: int, stderr: str, says: str, retry: bool) -> None:
    error = explain("ssh://h/B", code, stderr)
    assert says in str(error) and str(error).startswith("ssh://h/B: ")
    assert isinstance(error, SyncRefused) is not retry  # run() retries only the others
    assert "\n" not in str(error)
