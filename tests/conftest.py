"""Shared fixtures: a private data directory, a fresh workspace, the CLI, a relay."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from goalsync.relay import Relay
from goalsync.storage import DocumentStore, FileChunkStore
from goaltui.paths import WorkspacePaths


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def ws_paths(data_dir: Path) -> WorkspacePaths:
    return WorkspacePaths(data_dir, "main")


@pytest.fixture
def ws(ws_paths: WorkspacePaths) -> Iterator[object]:
    from goaltui.workspace import Workspace

    workspace = Workspace.create(ws_paths)
    try:
        yield workspace
    finally:
        workspace.close()


@pytest.fixture
def cli_run(data_dir: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run the real click CLI in-process: ``cli_run("add", "goal", "X")`` → Result."""
    from click.testing import CliRunner

    from goaltui.cli import cli

    monkeypatch.delenv("GOALTUI_DATA_DIR", raising=False)
    runner = CliRunner()

    def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(
            cli, ["--data-dir", str(data_dir), *args], input=input, catch_exceptions=False
        )

    return run


@pytest.fixture(autouse=True)
def _no_user_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never touch the developer's real data directory from a test."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if "GOALTUI_DATA_DIR" in os.environ:
        monkeypatch.delenv("GOALTUI_DATA_DIR")


@pytest.fixture(params=["journal", "no-journal"])
async def relay(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Relay]:
    """A relay as ``goaltui relay`` runs it (changes group-committed to a journal), and one
    that stores each change in the store directly."""
    journal = tmp_path / "journal" if request.param == "journal" else None
    store = DocumentStore(FileChunkStore(tmp_path / "relay"))
    async with Relay(store, journal_dir=journal) as server:
        yield server
