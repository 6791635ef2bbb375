"""The two-core rebuild (``goaltui.mirror.split``) writes exactly what the one-core rebuild does."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from goaltui.demo import build_demo
from goaltui.mirror.split import remove_stale_side_files
from goaltui.mirror.store import Mirror
from goaltui.mirror.tables import TABLES
from goaltui.model.records import Record
from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace
from goaltui.workspace.codec import STRATEGY_ID, iter_records

Readers = dict[str, Callable[[], Iterable[Record]]]

_forks: list[int] = []
os.register_at_fork(after_in_parent=lambda: _forks.append(1))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    paths = WorkspacePaths(Path(tmp_path_factory.mktemp("data")), "demo")
    with Workspace.create(paths) as ws:
        build_demo(ws)
        yield ws


def _readers(ws: Workspace, read_here: list[str] | None = None) -> Readers:
    """One reader per collection; those called in this process are noted in ``read_here``."""
    parent = os.getpid()
    strategy = ws.strategy()

    def reader(name: str) -> Callable[[], Iterable[Record]]:
        def read() -> Iterable[Record]:
            if read_here is not None and os.getpid() == parent:
                read_here.append(name)
            if name == STRATEGY_ID:
                return [strategy]
            return list(iter_records(ws._doc, name))

        return read

    return {name: reader(name) for name in TABLES}


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        names = [t.name for t in TABLES.values()] + ["record_index", "mirror_meta"]
        out = {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY 1').fetchall() for n in names}
        out["indexes"] = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        ).fetchall()
        return out
    finally:
        conn.close()


def _rebuild(ws: Workspace, path: Path, readers: Readers, *, split: bool) -> int:
    """Rebuild the mirror at ``path``; return how many processes it forked."""
    before = len(_forks)
    with Mirror.open(path) as mirror:
        mirror.rebuild_from(readers, "state-1", heads=ws._doc.get_heads(), split=split)
    return len(_forks) - before


@pytest.fixture(scope="module")
def expected(demo: Workspace, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("one-core") / "mirror.db"
    assert _rebuild(demo, path, _readers(demo), split=False) == 0
    return _dump(path)


def test_split_rebuild_writes_what_the_one_core_rebuild_writes(
    demo: Workspace, expected: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "mirror.db"
    read_here: list[str] = []
    assert _rebuild(demo, path, _readers(demo, read_here), split=True) == 1
    assert sorted(read_here) == ["goals", "kpis"]  # the child read the rest
    got = _dump(path)
    assert got == expected
    assert sum(len(rows) for rows in got.values()) > 200
    assert sorted(p.name for p in tmp_path.iterdir() if "side" in p.name) == []
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_second_split_rebuild_replaces_the_first(
    demo: Workspace, expected: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "mirror.db"
    _rebuild(demo, path, _readers(demo), split=True)
    assert _rebuild(demo, path, _readers(demo), split=True) == 1
    assert _dump(path) == expected


def _failing_in_child(readers: Readers, name: str, fail: Callable[[], None]) -> Readers:
    parent = os.getpid()
    read = readers[name]

    def reader() -> Iterable[Record]:
        if os.getpid() != parent:
            fail()
        return read()

    return {**readers, name: reader}


def _raise() -> None:
    raise RuntimeError("the child's reader failed")


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("fail", [_raise, _kill_self], ids=["error", "killed"])
@pytest.mark.parametrize("where", ["checkins", "tasks"], ids=["before-facts", "after-facts"])
def test_a_failing_child_only_means_the_parent_reads_its_share(
    demo: Workspace,
    expected: dict[str, Any],
    tmp_path: Path,
    fail: Callable[[], None],
    where: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "mirror.db"
    read_here: list[str] = []
    readers = _failing_in_child(_readers(demo, read_here), where, fail)
    assert _rebuild(demo, path, readers, split=True) == 1
    assert {"tasks", "risks", "goals", "checkins"} <= set(read_here)  # the child's share
    assert _dump(path) == expected
    assert "Traceback" not in capfd.readouterr().err
    assert [p.name for p in tmp_path.iterdir() if "side" in p.name] == []


def test_no_fork_while_another_thread_runs(
    demo: Workspace, expected: dict[str, Any], tmp_path: Path
) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _rebuild(demo, tmp_path / "mirror.db", _readers(demo), split=True) == 0
    finally:
        stop.set()
        other.join()
    assert _dump(tmp_path / "mirror.db") == expected


def test_stale_side_files_are_removed_only_when_old(tmp_path: Path) -> None:
    old = tmp_path / "mirror-side-old.db"
    new = tmp_path / "mirror-side-new.db"
    other = tmp_path / "mirror.db"
    for path in (old, new, other):
        path.write_bytes(b"")
    os.utime(old, (1, 1))
    remove_stale_side_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mirror-side-new.db", "mirror.db"]


def test_the_workspace_splits_big_rebuilds_only(
    demo: Workspace, expected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import goaltui.workspace.core as core

    before = len(_forks)
    demo.rebuild_mirror()
    assert len(_forks) == before  # the demo is far below the threshold
    monkeypatch.setattr(core, "SPLIT_REBUILD_AT", 0)
    demo.rebuild_mirror()
    assert len(_forks) == before + 1
    got = _dump(demo.paths.mirror)
    assert {k: v for k, v in got.items() if k != "mirror_meta"} == {
        k: v for k, v in expected.items() if k != "mirror_meta"
    }
