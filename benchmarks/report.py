"""Markdown tables of benchmark rows."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.common import Row, median, p95

__all__ = ["P95_MIN_SAMPLES", "format_table", "format_value"]

P95_MIN_SAMPLES = 20  # below this a 95th percentile says nothing
HEADER = ("what", "size", "median", "p95", "runs", "compared with", "their median", "ratio", "note")


def format_value(value: float, unit: str) -> str:
    """Seconds as µs/ms/s with three significant digits; bytes as B."""
    if unit == "B":
        return f"{value:,.0f} B"
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        ms = value * 1e3
        return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"
    return f"{value:.2f} s"


def _size(n: int) -> str:
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def _cells(row: Row) -> list[str]:
    if row.na is not None or not row.samples:
        reason = (row.na or "no samples").replace("|", "/")
        return [row.label, _size(row.size), f"n/a ({reason})", "", "", "", "", "", ""]
    mid = median(row.samples)
    many = len(row.samples) >= P95_MIN_SAMPLES
    cells = [
        row.label,
        _size(row.size),
        format_value(mid, row.unit),
        format_value(p95(row.samples), row.unit) if many else "–",
        str(len(row.samples)),
        row.against or "–",
        "–",
        "–",
        row.note.replace("|", "/"),
    ]
    if row.their:
        theirs = median(row.their)
        cells[6] = format_value(theirs, row.unit)
        cells[7] = f"{mid / theirs:.2f}×" if theirs else "–"
    return cells


def format_table(title: str, rows: Sequence[Row]) -> str:
    """``### title`` and a Markdown table with one line per row."""
    lines = [
        f"### {title}",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---"] + ["---:"] * 4 + ["---", "---:", "---:", "---"]) + "|",
    ]
    lines += ["| " + " | ".join(_cells(row)) + " |" for row in rows]
    return "\n".join(lines) + "\n"
