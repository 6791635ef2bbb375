"""The top line: the command palette's icon and the app's title, drawn as one line.

Textual's ``Header`` looks the same but is four widgets (icon, title, clock space and
itself); styling them is a measurable part of each screen's first mount, which runs
in one go on the event loop. ``TitleBar`` is one widget with the same layout: the
icon (a click opens the command palette), the title centred between the icon's eight
columns and the clock's ten, "title — sub-title" with the sub-title dimmed.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

__all__ = ["TitleBar"]

ICON = "⭘"
ICON_WIDTH = 8
CLOCK_WIDTH = 10


class TitleBar(Widget):
    """The app's title and the screen's sub-title, with the command palette's icon."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """
    ALLOW_SELECT = False

    def on_mount(self) -> None:
        for node in (self.app, self.screen):
            self.watch(node, "title", self._retitle, init=False)
            self.watch(node, "sub_title", self._retitle, init=False)

    def _retitle(self) -> None:
        self.refresh()

    def _titles(self) -> tuple[str, str]:
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        return str(title or ""), str(sub_title or "")

    def render(self) -> Text:
        width = self.size.width
        title, sub_title = self._titles()
        middle = Text(title, no_wrap=True, overflow="ellipsis", end="")
        if sub_title:
            dim = Style(dim=True)
            middle.append(" — ", dim)
            middle.append(sub_title, dim)
        room = max(width - ICON_WIDTH - CLOCK_WIDTH, 0)
        middle.truncate(room, overflow="ellipsis")
        middle.align("center", room)
        line = Text(f" {ICON}".ljust(ICON_WIDTH), no_wrap=True, end="")
        line.append_text(middle)
        line.append(" " * (width - len(line)))
        return line

    async def on_click(self, event: events.Click) -> None:
        if event.x < ICON_WIDTH and self.app.ENABLE_COMMAND_PALETTE:
            event.stop()
            await self.run_action("app.command_palette")
