"""Child process for the crash test: adds goals forever, printing each acknowledged id.

Usage: python ws_writer.py DATA_DIR NAME
"""

from __future__ import annotations

import sys
from pathlib import Path

from goaltui.paths import WorkspacePaths
from goaltui.workspace import Workspace


def main() -> None:
    paths = WorkspacePaths(Path(sys.argv[1]), sys.argv[2])
    ws = Workspace.open(paths)
    n = 0
    while True:
        n += 1
        gid = ws.add_goal(f"goal {n}", description=f"written by the crash test, number {n}")
        print(f"ack {gid}", flush=True)


if __name__ == "__main__":
    main()
