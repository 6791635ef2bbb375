"""Real processes on one stored document: concurrent writers, compaction, SIGKILL."""

from __future__ import annotations

import json
import queue
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

from automerge import core as am

from goalsync.storage import DocumentStore, FileChunkStore, StorageKey
from helpers.storage_docs import DOC_ID, new_doc, put_goal, titles

HELPER = Path(__file__).parent / "helpers" / "storage_writer.py"
TIMEOUT = 30.0


class Child:
    """A helper process whose output lines are read by a thread (so reads can time out)."""

    def __init__(self, *args: object) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HELPER), *map(str, args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def next_line(self) -> str:
        line = self.lines.get(timeout=TIMEOUT)
        if line is None:
            assert self.proc.stderr is not None
            raise AssertionError(f"helper exited early:\n{self.proc.stderr.read()}")
        return line

    def ask(self, command: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.next_line()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=TIMEOUT)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _create(root: Path) -> tuple[DocumentStore, am.Document, set[StorageKey]]:
    docs = DocumentStore(FileChunkStore(root))
    doc = new_doc()
    known: set[StorageKey] = set()
    docs.append(DOC_ID, doc, [], known)
    return docs, doc, known


def _edit(docs: DocumentStore, doc: am.Document, known: set[StorageKey], goal: str) -> None:
    heads = doc.get_heads()
    put_goal(doc, goal, f"title of {goal}")
    docs.append(DOC_ID, doc, heads, known)


def test_two_processes_see_each_other_through_compactions(tmp_path: Path) -> None:
    root = tmp_path / "data"
    docs, doc, known = _create(root)
    child = Child("serve", root, DOC_ID)
    try:
        assert child.ask("edit c1 child one") == "ack c1"
        assert child.ask("edit c2 child two") == "ack c2"
        _edit(docs, doc, known, "p1")
        docs.refresh(DOC_ID, doc, known)
        assert set(titles(doc)) == {"c1", "c2", "p1"}
        seen = json.loads(child.ask("refresh").removeprefix("titles "))
        assert seen["p1"] == "title of p1"

        assert child.ask("compact") == "compacted"
        _edit(docs, doc, known, "p2")  # known is stale: chunks were compacted away
        assert child.ask("edit c3 child three") == "ack c3"
        docs.compact(DOC_ID, doc, known)
        assert set(titles(doc)) == {"c1", "c2", "c3", "p1", "p2"}
        assert child.ask("edit c4 child four") == "ack c4"

        seen = json.loads(child.ask("refresh").removeprefix("titles "))
        assert set(seen) == {"c1", "c2", "c3", "c4", "p1", "p2"}
        assert set(titles(docs.load(DOC_ID).doc)) == set(seen)
    finally:
        child.kill()


def test_compacting_while_another_process_appends_loses_nothing(tmp_path: Path) -> None:
    root = tmp_path / "data"
    docs, doc, known = _create(root)
    child = Child("loop", root, DOC_ID, "c", 4)
    try:
        acked = {"c" + child.next_line().removeprefix("ack ")}  # the child is running now
        edits = 0
        while edits < 30 or len(acked) < 30:
            _edit(docs, doc, known, f"p{edits}")
            edits += 1
            if edits % 3 == 0:
                docs.compact(DOC_ID, doc, known)
            while not child.lines.empty():
                acked.add("c" + child.next_line().removeprefix("ack "))
    finally:
        child.kill()
    loaded = docs.load(DOC_ID)
    stored = set(titles(loaded.doc))
    assert {f"p{i}" for i in range(edits)} <= stored
    assert acked <= stored, f"lost acknowledged edits: {sorted(acked - stored)}"
    assert loaded.problems == []
    docs.refresh(DOC_ID, doc, known)
    assert acked <= set(titles(doc))


def test_every_acknowledged_edit_survives_sigkill(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _create(root)
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    acked: set[str] = set()
    for run in range(5):
        child = Child("loop", root, DOC_ID, f"r{run}-", rng.choice([0, 2, 3]))
        try:
            for _ in range(rng.randint(1, 12)):
                acked.add(f"r{run}-" + child.next_line().removeprefix("ack "))
        finally:
            child.kill()  # somewhere in the next append or compaction
        loaded = DocumentStore(FileChunkStore(root)).load(DOC_ID)
        assert loaded.problems == [], f"seed {seed}: {loaded.problems}"
        missing = acked - set(titles(loaded.doc))
        assert not missing, f"seed {seed}: acknowledged edits lost: {sorted(missing)}"
