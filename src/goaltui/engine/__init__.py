"""The engine: a child process that owns the Workspace for a UI.

The Automerge binding holds the GIL for seconds on large documents (load, save,
diff), so the TUI never runs it in its own interpreter. It sends requests to
this process over a pipe (JSON lines), reads the SQLite mirror for display, and
hears about every change (its own, another process's, a sync's) as an event.
"""

from __future__ import annotations
