"""The command line (click). The only package that imports click."""

from __future__ import annotations

from goaltui.cli import commands  # noqa: F401  (registers every command on ``cli``)
from goaltui.cli.app import cli, main

__all__ = ["cli", "main"]
