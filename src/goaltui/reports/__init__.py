"""Reports and exports read from the mirror: Markdown, CSV and iCalendar."""

from __future__ import annotations
