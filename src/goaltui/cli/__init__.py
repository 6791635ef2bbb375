"""The command line (click). The only package that imports click.

Commands are registered lazily (``goaltui.cli.commands``): running one imports
only the module that defines it.
"""

from __future__ import annotations

from goaltui.cli.app import cli, main

__all__ = ["cli", "main"]
