"""The :class:`GoalWarning` value alone, importable without the rules that make it.

``goaltui.model.alignment`` computes warnings (and re-exports this class); a reader
that only holds or unpickles them (the TUI's first page, read ahead by a child
process) should not pay for importing the schema, SMART and date rules.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GoalWarning"]


@dataclass(frozen=True)
class GoalWarning:
    """Something about a goal that needs attention; ``code`` is one of WARNING_CODES."""

    code: str
    message: str
