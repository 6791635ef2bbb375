"""``python -m goaltui.engine DATA_DIR NAME``: see ``goaltui.engine.server``."""

from __future__ import annotations

from goaltui.engine.server import main

main()
