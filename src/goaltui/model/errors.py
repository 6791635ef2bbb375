"""The model's user-facing error: every problem of one record, each tied to its field.

Kept in its own module so that ``dates`` and ``validate`` can both raise it without
importing each other. ``goaltui.model.validate`` re-exports both names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Problem", "ValidationError"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field: the TUI shows ``message`` next to ``field``."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ValidationError(ValueError):
    """Bad input, with ALL its problems: ``str(err)`` is ``"field: message; ..."``.

    One error per record rather than one per field, so that a form can mark every bad
    field at once and the CLI can print them all in one line.
    """

    def __init__(self, problems: Problem | Iterable[Problem]) -> None:
        items = [problems] if isinstance(problems, Problem) else list(problems)
        if not items:
            raise ValueError("ValidationError needs at least one problem")
        self.problems: list[Problem] = items
        super().__init__("; ".join(str(p) for p in items))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        """An error with one problem."""
        return cls(Problem(field, message))

    def by_field(self) -> dict[str, list[str]]:
        """Messages grouped by field name, in the order they were found."""
        grouped: dict[str, list[str]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.field, []).append(problem.message)
        return grouped
