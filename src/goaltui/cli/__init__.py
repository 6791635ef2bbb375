"""The command line (click). The only package that imports click.

Commands are registered lazily (``goaltui.cli.commands``): running one imports
only the module that defines it. ``goaltui list KIND --json`` on a current mirror
does not import click at all (``goaltui.cli.fast``).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goaltui.cli.app import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Console-script entry point: the fast path if it applies, else click."""
    from goaltui.cli.fast import run_fast

    try:
        if run_fast(sys.argv[1:]):
            return
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
        return
    from goaltui.cli.app import main as click_main

    click_main()


def __getattr__(name: str) -> Any:
    if name == "cli":
        from goaltui.cli.app import cli

        return cli
    raise AttributeError(f"module 'goaltui.cli' has no attribute {name!r}")
