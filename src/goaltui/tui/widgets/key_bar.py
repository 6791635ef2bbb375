"""The bottom line of keys of the current screen, drawn as one line of text.

Textual's ``Footer`` shows the same keys, but composes one widget per key and
recomposes them all whenever the active bindings change (focus moves, a dialog
closes): measured here, that layout is the largest single cost of a screen's first
frame and of closing a form (~0.1 s of event loop each time). ``KeyBar`` keeps the
footer's look and its mouse behaviour (a click on a key presses it) as one widget
that re-renders one line.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

__all__ = ["KeyBar"]


class _Item(NamedTuple):
    start: int
    end: int
    key: str


class KeyBar(Widget):
    """The shown keys (``Binding.show``) of the current screen, with descriptions."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--rule { color: $foreground 20%; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--rule",
    }
    ALLOW_SELECT = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._items: list[_Item] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self.refresh()

    def _keys(self) -> tuple[list[tuple[str, str, str]], tuple[str, str, str] | None]:
        """(key, shown key, description) of the shown bindings, one per action; the palette's."""
        seen: set[str] = set()
        keys: list[tuple[str, str, str]] = []
        active = self.screen.active_bindings
        for _node, binding, _enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append((binding.key, self.app.get_key_display(binding), binding.description))
        found = active.get(self.app.COMMAND_PALETTE_BINDING)
        palette = None
        if self.app.ENABLE_COMMAND_PALETTE and found is not None:
            b = found.binding
            palette = (b.key, self.app.get_key_display(b), b.description)
        return keys, palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        keys, palette = self._keys()
        width = self.size.width
        text = Text(no_wrap=True, overflow="crop", end="")
        self._items = []
        for key, shown, description in keys:
            start = len(text)
            text.append(f" {shown} ", key_style)
            if description:
                text.append(f"{description} ", description_style)
            self._items.append(_Item(start, len(text), key))
        if palette is None:
            return text
        # Docked right, as Footer shows it: the other keys are cut short before it.
        key, shown, description = palette
        right = Text("▏", self.get_component_rich_style("key-bar--rule"))
        right.append(shown, key_style)
        right.append(f" {description} ", description_style)
        left = max(width - len(right), 0)
        text.truncate(left, pad=True)
        self._items = [i._replace(end=min(i.end, left)) for i in self._items if i.start < left]
        self._items.append(_Item(left, left + len(right), key))
        return text + right

    def on_click(self, event: events.Click) -> None:
        for item in self._items:
            if item.start <= event.x < item.end:
                self.app.simulate_key(item.key)
                return
