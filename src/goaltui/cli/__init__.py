"""The command line (click). The only package that imports click."""

from __future__ import annotations

from goaltui.cli.app import cli, main
from goaltui.cli import commands  # noqa: E402,F401  (registers every command on ``cli``)

__all__ = ["cli", "main"]
