"""Sync over SSH end to end: a real sshd on 127.0.0.1 (run by the test, as the current
user), the real ssh client, and ``goaltui relay --stdio`` on the "remote" side, which is
this machine; two data directories converge through it."""

from __future__ import annotations

import asyncio
import getpass
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from goalsync.protocol.docid import to_url
from goaltui.cli import cli
from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace
from goaltui.workspace.sync import watch

SSHD = "/usr/sbin/sshd"
GOALTUI = str(Path(sys.executable).parent / "goaltui")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


@dataclass
class Sshd:
    """A running sshd and how to reach it."""

    proc: subprocess.Popen[bytes]
    port: int
    key: Path
    other_key: Path
    log: Path

    def ssh_command(self, key: Path | None = None) -> str:
        return (
            f"ssh -F /dev/null -i {key or self.key} -o IdentitiesOnly=yes "
            "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes "
            "-o LogLevel=ERROR"
        )

    def url(self, data_dir: Path, port: int | None = None) -> str:
        return f"ssh://{getpass.getuser()}@127.0.0.1:{port or self.port}{data_dir}"


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited: {log.read_text()}")
        if "Server listening" in log.read_text():
            return
        time.sleep(0.02)
    raise RuntimeError(f"sshd did not listen on port {port}: {log.read_text()}")


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    d = tmp_path_factory.mktemp("sshd")
    host_key = keygen(d / "host_key")
    key = keygen(d / "user_key")
    other = keygen(d / "other_key")
    (d / "authorized_keys").write_text((d / "user_key.pub").read_text())
    os.chmod(d / "authorized_keys", 0o600)
    port = free_port()
    config = d / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {host_key}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nPidFile {d / 'sshd.pid'}\n"
        "UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
    )
    if os.geteuid() == 0:  # sshd's privilege separation directory (made by its service)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    log = d / "sshd.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=out)
    try:
        _wait_listening(proc, port, log)
        yield Sshd(proc, port, key, other, log)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def ssh_env(sshd: Sshd, monkeypatch: pytest.MonkeyPatch) -> Sshd:
    monkeypatch.setenv("GOALTUI_SSH", sshd.ssh_command())
    monkeypatch.setenv("GOALTUI_SSH_REMOTE", GOALTUI)
    return sshd


def ssh_children() -> list[int]:
    """Processes (running or zombie) whose parent is this test and whose name is ssh."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == os.getpid() and name == "ssh":
            found.append(int(entry.name))
    return found


def goaltui(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], catch_exceptions=False)


def titles(paths: WorkspacePaths) -> set[str]:
    with Workspace.open(paths) as ws:
        return {g.title for g in ws.records("goals")}


def remote_workspace(tmp_path: Path, *goals: str) -> WorkspacePaths:
    """Data directory B on the "server", with a workspace holding ``goals``."""
    paths = WorkspacePaths(tmp_path / "B", "team")
    with Workspace.create(paths) as ws:
        for title in goals:
            ws.add_goal(title)
    return paths


def doc_url(paths: WorkspacePaths) -> str:
    with Workspace.open(paths) as ws:
        return to_url(ws.doc_id)


def test_join_then_sync_both_ways_over_ssh(tmp_path: Path, ssh_env: Sshd) -> None:
    remote = remote_workspace(tmp_path, "Remote goal")
    url = ssh_env.url(remote.data_dir)
    local = WorkspacePaths(tmp_path / "A", "team")
    joined = goaltui(local.data_dir, "join", url, doc_url(remote), "-w", "team")
    assert joined.exit_code == 0, joined.output
    assert "joined: workspace team with 1 goal(s)" in joined.output
    assert titles(local) == {"Remote goal"}
    # edits on both sides while apart
    with Workspace.open(local) as ws:
        ws.add_goal("Laptop goal")
    with Workspace.open(remote) as ws:
        ws.add_goal("Server goal")
    synced = goaltui(local.data_dir, "-w", "team", "sync")  # the URL join saved
    assert synced.exit_code == 0, synced.output
    assert f"synced with {url}" in synced.output
    assert titles(local) == {"Remote goal", "Laptop goal", "Server goal"}
    # the remote relay stored what it acknowledged, where the server's workspace reads it
    assert titles(remote) == {"Remote goal", "Laptop goal", "Server goal"}
    assert ssh_children() == []


def test_first_push_to_an_empty_remote_data_dir(tmp_path: Path, ssh_env: Sshd) -> None:
    local = WorkspacePaths(tmp_path / "A", "main")
    with Workspace.create(local) as ws:
        ws.add_goal("Pushed over SSH")
        doc = to_url(ws.doc_id)
    remote_dir = tmp_path / "fresh" / "B"
    result = goaltui(local.data_dir, "sync", ssh_env.url(remote_dir), "--save")
    assert result.exit_code == 0, result.output
    assert (remote_dir / "repo").stat().st_mode & 0o777 == 0o700
    again = WorkspacePaths(tmp_path / "C", "copy")
    joined = goaltui(again.data_dir, "join", ssh_env.url(remote_dir), doc, "-w", "copy")
    assert joined.exit_code == 0, joined.output
    assert titles(again) == {"Pushed over SSH"}


def test_watch_pushes_local_edits_over_ssh(tmp_path: Path, ssh_env: Sshd) -> None:
    remote = remote_workspace(tmp_path, "Remote goal")
    local = WorkspacePaths(tmp_path / "A", "team")
    url = ssh_env.url(remote.data_dir)
    assert goaltui(local.data_dir, "join", url, doc_url(remote), "-w", "team").exit_code == 0
    lines: list[str] = []

    async def scenario() -> None:
        stop = asyncio.Event()
        with Workspace.open(local) as ws:
            watcher = asyncio.ensure_future(watch(ws, url, None, stop=stop, report=lines.append))
            deadline = time.monotonic() + 30
            while "synced" not in lines:  # connected and caught up
                assert not watcher.done() and time.monotonic() < deadline, lines
                await asyncio.sleep(0.01)
            with Workspace.open(local) as other:  # another process's edit, through the disk
                other.add_goal("Live edit")
            while "Live edit" not in titles(remote):
                assert not watcher.done() and time.monotonic() < deadline, lines
                await asyncio.sleep(0.05)
            stop.set()
            await watcher

    asyncio.run(scenario())
    assert ssh_children() == []


def one_error_line(result: Result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.fixture
def local_ws(tmp_path: Path) -> WorkspacePaths:
    paths = WorkspacePaths(tmp_path / "A", "main")
    Workspace.create(paths).close()
    return paths


def test_refused_port_is_one_clear_line(
    tmp_path: Path, ssh_env: Sshd, local_ws: WorkspacePaths
) -> None:
    line = one_error_line(
        goaltui(local_ws.data_dir, "sync", ssh_env.url(tmp_path / "B", port=free_port()))
    )
    assert "SSH could not connect" in line and "Connection refused" in line
    assert ssh_children() == []


def test_unknown_host_is_one_clear_line(local_ws: WorkspacePaths, ssh_env: Sshd) -> None:
    line = one_error_line(goaltui(local_ws.data_dir, "sync", "ssh://nobody@no-such-host.invalid/B"))
    assert "SSH could not connect" in line and "no-such-host.invalid" in line
    assert ssh_children() == []


def test_wrong_key_is_one_clear_line(
    tmp_path: Path, ssh_env: Sshd, local_ws: WorkspacePaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOALTUI_SSH", ssh_env.ssh_command(ssh_env.other_key))
    line = one_error_line(goaltui(local_ws.data_dir, "sync", ssh_env.url(tmp_path / "B")))
    assert "SSH could not log in" in line and "Permission denied" in line
    assert ssh_children() == []


def test_missing_remote_command_hints_at_the_variable(
    tmp_path: Path, ssh_env: Sshd, local_ws: WorkspacePaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOALTUI_SSH_REMOTE", str(tmp_path / "no" / "goaltui"))
    line = one_error_line(goaltui(local_ws.data_dir, "sync", ssh_env.url(tmp_path / "B")))
    assert "cannot run goaltui" in line and "GOALTUI_SSH_REMOTE" in line
    assert ssh_children() == []


def test_join_failure_leaves_no_workspace(tmp_path: Path, ssh_env: Sshd) -> None:
    remote = remote_workspace(tmp_path, "Remote goal")
    local = tmp_path / "A"
    url = ssh_env.url(remote.data_dir, port=free_port())
    line = one_error_line(goaltui(local, "join", url, doc_url(remote), "-w", "team"))
    assert "Connection refused" in line
    assert not WorkspacePaths(local, "team").exists()


# -- without sshd ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ssh://host:0/B", "port"),
        ("ssh://dana:secret@host/B", "passwords"),
        ("ssh://-oProxyCommand=x/B", "host"),
        ("ssh://host/B?x=1", "query"),
    ],
)
def test_bad_ssh_urls_fail_before_anything_runs(
    local_ws: WorkspacePaths, url: str, says: str
) -> None:
    line = one_error_line(goaltui(local_ws.data_dir, "sync", url))
    assert says in line and "ssh://[user@]host[:port][/remote/data/dir]" in line
    assert ssh_children() == []


def test_token_is_ignored_for_ssh_with_a_note(
    tmp_path: Path, ssh_env: Sshd, local_ws: WorkspacePaths
) -> None:
    result = goaltui(local_ws.data_dir, "sync", ssh_env.url(tmp_path / "B"), "--token", "t0k")
    assert result.exit_code == 0, result.output
    assert "--token is ignored for ssh://" in result.output


@pytest.mark.parametrize("option", [("--port", "4000"), ("--host", "0.0.0.0")])
def test_relay_stdio_refuses_listening_options(tmp_path: Path, option: tuple[str, str]) -> None:
    result = goaltui(tmp_path, "relay", "--stdio", *option)
    assert result.exit_code == 2
    assert f"{option[0]} cannot be used with it" in result.output


def test_relay_stdio_refuses_a_terminal_or_file(tmp_path: Path) -> None:
    with (tmp_path / "in").open("wb+") as stdin:
        done = subprocess.run(
            [GOALTUI, "relay", "--stdio", "--data-dir", str(tmp_path / "B")],
            stdin=stdin,
            capture_output=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stdout == b""
    assert b"pipes or sockets" in done.stderr
    assert b"Traceback" not in done.stderr
