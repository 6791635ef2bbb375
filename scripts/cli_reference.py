"""Write docs/cli.md from the CLI's own help texts: `python scripts/cli_reference.py`.

tests/test_docs.py fails when docs/cli.md differs from what this prints, so the
reference cannot drift from the code.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from goaltui.cli import cli

HEADER = """# CLI reference

Generated from the commands' own help by `python scripts/cli_reference.py`; do not edit by hand.

Every command also takes `--workspace/-w NAME`, and the global `--data-dir DIR`
(env `GOALTUI_DATA_DIR`) goes before the command:
`goaltui --data-dir /srv/goals -w acme list goals`.
Errors print one line, `Error: …`, on stderr and exit with status 1 (2 for a usage error).
"""


def _walk(group: click.Group, prefix: str) -> Iterator[tuple[str, click.Command]]:
    for name in sorted(group.commands):
        command = group.commands[name]
        yield f"{prefix} {name}", command
        if isinstance(command, click.Group):
            yield from _walk(command, f"{prefix} {name}")


def _section(path: str, command: click.Command) -> str:
    ctx = click.Context(command, info_name=path)
    usage = command.get_usage(ctx).replace("Usage: ", "")
    lines = [f"## `{path}`", "", "```", usage, "```", "", inspect.cleandoc(command.help or ""), ""]
    options = [p for p in command.get_params(ctx) if isinstance(p, click.Option)]
    if options:
        lines.append("| option | meaning |")
        lines.append("|---|---|")
        for option in options:
            record = option.get_help_record(ctx)
            if record:
                flags, meaning = record
                lines.append(f"| `{flags}` | {meaning.replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)


def reference() -> str:
    """The whole reference as Markdown."""
    cli.load_all()
    parts = [HEADER, _section("goaltui", cli)]
    parts += [_section(path, command) for path, command in _walk(cli, "goaltui")]
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
    if "--check" in sys.argv:
        sys.exit(0 if target.read_text() == reference() else 1)
    target.write_text(reference())
