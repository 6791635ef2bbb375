"""Small text renderings shared by screens: progress bars, sparklines, marks.

Every mark carries its meaning in its shape or letter, not in colour alone, so the
screens read the same with ``NO_COLOR`` and in light and dark themes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

__all__ = [
    "STATUS_MARKS",
    "WARNING_MARKS",
    "bar",
    "blocks",
    "fit",
    "percent",
    "sparkline",
    "status_mark",
    "warning_marks",
]

_EIGHTHS = " ▏▎▍▌▋▊▉█"
_SPARKS = "▁▂▃▄▅▆▇█"

STATUS_MARKS = {
    "draft": "○",
    "proposed": "?",
    "active": "●",
    "achieved": "✓",
    "missed": "✗",
    "dropped": "–",
    "on_track": "✓",
    "at_risk": "!",
    "off_track": "✗",
    "todo": "○",
    "doing": "◐",
    "blocked": "⊘",
    "done": "✓",
}

WARNING_MARKS = {
    "parent_loop": "l",
    "orphan": "o",
    "no_kpi": "k",
    "not_smart": "s",
    "due_after_parent": "p",
    "overdue": "!",
    "stale_checkin": "c",
    "objection_open": "x",
}
"""One letter per warning code; the legend is on the help screen and the status line."""


def blocks(fraction: float | None, width: int) -> str:
    """A bar of ``width`` cells filled to ``fraction`` with eighth blocks, ░ for the rest."""
    if fraction is None:
        return "·" * width
    value = min(max(float(fraction), 0.0), 1.0) * width
    full = int(value)
    part = round((value - full) * 8)
    if part == 8:
        full, part = full + 1, 0
    text = "█" * full + (_EIGHTHS[part] if part and full < width else "")
    return text + "░" * (width - len(text))


def percent(fraction: float | None) -> str:
    return "  – " if fraction is None else f"{round(min(max(fraction, 0), 1) * 100):3d}%"


def bar(fraction: float | None, width: int = 10) -> Text:
    """Progress as ``████▌░░░░░ 45%``."""
    text = Text(blocks(fraction, width))
    text.append(" " + percent(fraction))
    return text


def sparkline(values: Sequence[float | None]) -> str:
    """Values as a line of block heights (▁ to █); gaps for missing values."""
    numbers = [v for v in values if v is not None]
    if not numbers:
        return ""
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        else:
            out.append(_SPARKS[int((v - low) / span * (len(_SPARKS) - 1))] if high != low else "▄")
    return "".join(out)


def status_mark(status: Any) -> str:
    return STATUS_MARKS.get(str(status), " ") if status else " "


def warning_marks(codes: Sequence[str]) -> str:
    return "".join(WARNING_MARKS.get(c, "?") for c in codes)


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with an ellipsis, padded to exactly ``width``."""
    if width <= 0:
        return ""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)
