"""Reading the Markdown tables ``benchmarks/run.py`` prints, for the smoke tests."""

from __future__ import annotations

__all__ = ["tables_of"]


def tables_of(stdout: str) -> dict[str, list[list[str]]]:
    """Benchmark title → its table's data rows (cells stripped)."""
    tables: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for line in stdout.splitlines():
        if line.startswith("### "):
            current = tables.setdefault(line[4:].strip(), [])
        elif current is not None and line.startswith("| ") and not line.startswith("| what"):
            current.append([cell.strip() for cell in line.strip("|").split("|")])
    return tables
