"""The alignment tree's first page, read by a forked child while the app imports Textual.

Importing Textual takes a quarter of a second on one core; reading the first page of
the tree (the freshness check, the top-level rows, their warnings, which import the
model's rules) took another 20-35 ms after it, more at 100k records (finding the
goals whose parent is missing or archived reads every distinct parent). A child
forked before Textual is imported does that reading on another core meanwhile and
hands the rows over through a pipe (pickled :class:`FirstPage`); the app takes them
for its first frame if the mirror is still in the state they were read in, and
reads them itself otherwise. No Textual here: this runs before it is imported.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goaltui.paths import WorkspacePaths
    from goaltui.tui.tree_model import Snapshot

__all__ = ["FirstPage", "Prefetch", "read_first_page"]

WAIT_SECONDS = 5.0
"""How long the app waits for the child's answer before reading the page itself."""
DEFAULT_ROWS = 60


@dataclass(frozen=True)
class FirstPage:
    """Rows of the tree and the warnings of its first ``rows``, in mirror ``state``."""

    state: str
    snapshot: Snapshot


def read_first_page(paths: WorkspacePaths, rows: int) -> FirstPage | None:
    """The tree's first page, if the mirror is current (else None: the app catches up)."""
    from goaltui.freshness import current_reader
    from goaltui.tui.tree_model import AlignmentModel

    reader = current_reader(paths)
    if reader is None:
        return None
    with reader:
        state = reader.state()
        if state is None:
            return None
        snapshot = AlignmentModel(reader).snapshot(reader, facts=(0, rows))
        if reader.state() != state:  # written meanwhile: the rows may mix two states
            return None
    return FirstPage(state, snapshot)


def terminal_rows() -> int:
    """The terminal's height (the most rows the first frame can show)."""
    for fd in (2, 1, 0):
        try:
            return os.get_terminal_size(fd).lines
        except OSError:
            continue
    return DEFAULT_ROWS


class Prefetch:
    """A child process reading the first page; :meth:`take` waits for it once."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd

    @classmethod
    def start(cls, paths: WorkspacePaths, rows: int | None = None) -> Prefetch | None:
        """Fork the child; None with a single core (the child would only compete) or
        where there is no ``fork``: the app then reads the page itself."""
        if not hasattr(os, "fork") or _cores() < 2:
            return None
        rows = terminal_rows() if rows is None else rows
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child: never returns
            os.close(read_end)
            _child(paths, rows, write_end)
        os.close(write_end)
        return cls(pid, read_end)

    def take(self, timeout: float = WAIT_SECONDS) -> FirstPage | None:
        """The child's page (waiting up to ``timeout``); None if it had none or failed."""
        if self.fd < 0:
            return None
        chunks: list[bytes] = []
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                    return None
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
            page = pickle.loads(b"".join(chunks)) if chunks else None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        finally:
            self.close()
        return page if isinstance(page, FirstPage) else None

    def close(self) -> None:
        """Stop waiting: close the pipe, end the child if it still runs, reap it."""
        if self.fd < 0:
            return
        os.close(self.fd)
        self.fd = -1
        try:
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if not done:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass


def _cores() -> int:
    """Cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _child(paths: WorkspacePaths, rows: int, fd: int) -> None:
    """Read the page, write it to ``fd`` and leave (``os._exit``: no clean-up of the
    parent's objects, no buffers of the parent's flushed, whatever happens)."""
    status = 1
    try:
        data = pickle.dumps(read_first_page(paths, rows), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        status = 0
    finally:
        os._exit(status)
