"""Let go of what Textual keeps after a dialog closes, and keep start-up out of the GC.

Measured here (Textual 8.2): every form opened and closed left ~3,000 objects alive,
and the number of live objects is what a full garbage collection walks, on the event
loop, with no await in between: at ~200k objects that was a 100–200 ms pause, the
longest stall of the UI during a merge. Two holders, both Textual's:

- a ``TextArea`` watches the app's ``theme``; the app drops closed watchers only when
  the theme next changes, so each closed form's text area stays alive;
- ``StylesCache.get_inner_outer`` is an ``lru_cache`` (1,024 entries) over the cache
  instance, so it keeps the style caches of closed widgets, with their rendered lines.

Both are cut whenever the screen changes (a dialog closed, another screen shown). The
objects of start-up (modules, classes, the stylesheet: ~45k) are frozen out of the
collector's walks with :func:`gc.freeze` once the first frame is out.

A closed form is still ~20k objects in reference cycles (widgets and their parents,
queues, caches), so only a full collection frees them, and that collection pays for
every form closed since the last one: after 30 edits, ~70 ms on a quiet machine (and
190 ms on a busy one) in one go, whenever Python next decided to run it (the TUI
benchmark's merge of remote changes). So each form is collected on its own, once it has
been let go of, once it is removed and the frame after it is out.
"""

from __future__ import annotations

import gc
from typing import Any

__all__ = ["forget_closed", "freeze_startup", "unfreeze"]


def forget_closed(app: Any) -> None:
    """Drop Textual's references to widgets no longer in the app, and collect them."""
    watchers = getattr(app, "__watchers", {}).get("theme")
    if isinstance(watchers, list):
        watchers[:] = [(node, call) for node, call in watchers if node.is_attached]
    try:
        from textual._styles_cache import StylesCache

        StylesCache.get_inner_outer.cache_clear()
    except (ImportError, AttributeError):  # another Textual: nothing to clear
        pass
    gc.collect()  # one closed dialog's cycles now, not many at once later


def freeze_startup() -> None:
    """Leave every object alive now (modules, classes, stylesheet) out of collections,
    and turn the collector back on if start-up paused it (``goaltui.tui.run_app``)."""
    gc.freeze()
    gc.enable()


def unfreeze() -> None:
    """Undo :func:`freeze_startup` (when the app ends: tests run many apps in a process)."""
    gc.unfreeze()
