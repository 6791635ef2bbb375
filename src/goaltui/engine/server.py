"""The engine process: owns one Workspace, serves requests, reports changes.

Run as ``python -m goaltui.engine DATA_DIR NAME``. Reads one JSON request per
line on stdin (``{"id": 1, "op": "add", "args": {...}}``), answers on stdout
(``{"id": 1, "ok": true, "result": ...}`` or ``{"id": 1, "ok": false, "error": ...}``)
and sends events (``{"event": "changed", ...}``). Between requests it picks up
what other processes wrote, so their edits reach the UI without a restart.
"""

from __future__ import annotations

import json
import os
import select
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, BinaryIO

from goaltui.engine.wire import encode, encode_error
from goaltui.errors import GoaltuiError
from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace, WorkspaceChange

__all__ = ["OPERATIONS", "serve"]

POLL_SECONDS = 0.25

OPERATIONS = frozenset(
    {
        "add",
        "edit",
        "archive",
        "set_strategy",
        "undo",
        "set_me",
        "move_goal",
        "check_in",
        "decide",
        "agree",
        "object",
        "rank_priorities",
        "give_feedback",
        "resolve_feedback",
        "review",
        "add_goal",
        "add_kpi",
        "add_task",
        "add_milestone",
        "add_risk",
        "add_resource",
        "add_stakeholder",
        "add_person",
        "add_team",
        "add_cycle",
        "add_value",
        "set_task_status",
        "compact",
        "refresh",
    }
)


class Engine:
    """Dispatches requests to the workspace; one at a time, in order."""

    def __init__(self, ws: Workspace, out: BinaryIO) -> None:
        self.ws = ws
        self.out = out
        ws.subscribe(self._changed)

    def send(self, message: dict[str, Any]) -> None:
        self.out.write(encode(message))
        self.out.flush()

    def _changed(self, change: WorkspaceChange) -> None:
        self.send({"event": "changed", **asdict(change)})

    def handle(self, line: bytes) -> None:
        try:
            request = json.loads(line)
            req_id = request["id"]
            op = request["op"]
            args = request.get("args") or {}
        except (ValueError, KeyError, TypeError):
            self.send({"event": "protocol_error", "message": "malformed request line"})
            return
        try:
            self.send({"id": req_id, "ok": True, "result": self.run(op, args)})
        except (GoaltuiError, ValueError, OSError) as exc:
            self.send({"id": req_id, "ok": False, "error": encode_error(exc)})

    def run(self, op: str, args: dict[str, Any]) -> Any:
        if op == "history":
            return self._history(args.get("record_id"), int(args.get("limit", 50)))
        if op == "whoami":
            return self.ws.me
        if op == "conflicts":
            return [c.to_json() for c in self.ws.conflicts()]
        if op == "resolve_conflict":
            conflict_id = str(args.get("conflict_id") or "")
            return self.ws.resolve_conflict(conflict_id, args.get("value")).to_json()
        if op not in OPERATIONS:
            raise GoaltuiError(f"unknown engine operation {op!r}")
        return getattr(self.ws, op)(**args)

    def _history(self, record_id: str | None, limit: int) -> list[dict[str, Any]]:
        entries = self.ws.history()
        if record_id:
            entries = [e for e in entries if record_id in e.records]
        names = {p.id: p.title for p in self.ws.records("people", include_archived=True)}
        return [
            {**asdict(e), "who": names.get(e.author or "", e.author or f"device {e.actor[:8]}")}
            for e in entries[-limit:]
        ]


def serve(paths: WorkspacePaths, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Serve until stdin closes."""
    with Workspace.open(paths) as ws:
        ws.ensure_mirror()
        engine = Engine(ws, stdout)
        engine.send(
            {"event": "ready", "document_id": ws.doc_id, "me": ws.me, "problems": ws.problems}
        )
        fd = stdin.fileno()
        buffer = b""
        while True:
            readable, _, _ = select.select([fd], [], [], POLL_SECONDS)
            if not readable:
                ws.refresh()
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line.strip():
                    engine.handle(line)


def main(argv: list[str] | None = None) -> None:
    """``python -m goaltui.engine DATA_DIR NAME``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        sys.stderr.write("usage: python -m goaltui.engine DATA_DIR WORKSPACE\n")
        sys.exit(2)
    paths = WorkspacePaths(Path(args[0]), args[1])
    try:
        serve(paths, sys.stdin.buffer, sys.stdout.buffer)
    except GoaltuiError as exc:
        sys.stdout.buffer.write(encode({"event": "failed", "error": encode_error(exc)}))
        sys.stdout.buffer.flush()
        sys.exit(1)
