"""Progress roll-up: the one place that computes KPI and goal progress.

The mirror, the CLI, the reports and the TUI all call these functions, so a
number shown anywhere is computed the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["goal_progress", "kpi_progress"]


def kpi_progress(
    baseline: float | None,
    target: float | None,
    current: float | None,
    direction: str | None = "increase",
) -> float | None:
    """Progress of a KPI from its baseline to its target, clamped to 0–1.

    ``(current − baseline) / (target − baseline)``; for ``decrease`` the same
    formula works because target < baseline. ``maintain`` counts as 1 while the
    current value is at least (increase-wise) the target, else 0. Returns None
    when there is nothing to measure yet (no check-in, no target).
    """
    if current is None or target is None:
        return None
    base = baseline if baseline is not None else 0.0
    if not all(math.isfinite(x) for x in (base, target, current)):
        return None
    if direction == "maintain":
        return 1.0 if current >= target else 0.0
    span = target - base
    if not math.isfinite(span):  # e.g. -1e308 → 1e308: halve everything, the ratio is the same
        base, target, current = base / 2, target / 2, current / 2
        span = target - base
    if span == 0:
        reached = current <= target if direction == "decrease" else current >= target
        return 1.0 if reached else 0.0
    ratio = (current - base) / span
    return min(1.0, max(0.0, ratio))


def goal_progress(parts: Iterable[tuple[float | None, float | None]]) -> float | None:
    """Weighted mean of the progress of a goal's KPIs and child goals.

    ``parts`` holds ``(progress, weight)`` pairs; a weight of None counts as 1,
    and parts without progress (None) are left out. Returns None when nothing
    has progress.
    """
    kept: list[tuple[float, float]] = []
    for progress, weight in parts:
        if progress is None:
            continue
        w = 1.0 if weight is None else float(weight)
        if w <= 0 or not math.isfinite(w):
            continue
        kept.append((progress, w))
    if not kept:
        return None
    scale = 1.0
    if not math.isfinite(sum(w for _, w in kept)):  # huge weights: make them relative
        scale = max(w for _, w in kept)
    total = 0.0
    weights = 0.0
    for progress, w in kept:
        total += progress * (w / scale)
        weights += w / scale
    return total / weights
