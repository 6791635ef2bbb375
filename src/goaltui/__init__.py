"""goaltui: goal setting and strategic alignment for teams, in the terminal."""

from __future__ import annotations

__version__ = "0.1.0"
