"""The goaltui Textual app: screens switched by number keys, over one Backend.

``create_app`` is the one factory, used by the CLI (through ``run_app``) and by the
tests (through Pilot), so both exercise the same app.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar, cast

from rich.console import RenderableType
from textual import work
from textual._compositor import LayoutUpdate
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen

from goaltui.errors import GoaltuiError
from goaltui.paths import WorkspacePaths
from goaltui.tui.backend import Backend, Change
from goaltui.tui.messages import GoalOpened, WorkspaceChanged
from goaltui.tui.screens.base import WorkspaceScreen
from goaltui.tui.textual_leaks import forget_closed, freeze_startup, unfreeze

if TYPE_CHECKING:
    from goaltui.tui.dialogs.help import KeyHelp
    from goaltui.tui.prefetch import FirstPage, Prefetch
    from goaltui.tui.screens.goal_detail import GoalDetailScreen

__all__ = ["SCREENS", "GoalApp", "create_app", "run_app"]

SCREENS: dict[str, tuple[str, str]] = {
    # mode: (number key, title)
    "strategy": ("1", "Strategy"),
    "alignment": ("2", "Alignment tree"),
    "detail": ("3", "Goal detail"),
    "timeline": ("4", "Timeline"),
    "people": ("5", "People and teams"),
    "checkin": ("6", "Check-in"),
    "priorities": ("7", "Priorities"),
    "review": ("8", "Review"),
    "feedback": ("9", "Feedback inbox"),
}
CONFLICTS = "conflicts"
BUILT = (*SCREENS, CONFLICTS)
LIGHT, DARK = "textual-light", "textual-dark"
POLL_SECONDS = 0.5
ENGINE_DELAY = 0.05  # seconds after the first frame
REMOVAL_CHECK, REMOVAL_CHECKS = 0.02, 100  # a closed dialog is removed within 2 s
SETTLE = 0.02  # seconds after a closed dialog was removed (its timers have stopped)
SWITCH_INTERVAL = 0.0005  # seconds; see on_load
WARM_MODULES = (
    "goaltui.model.alignment",  # warnings of rows beyond the first page (tui/data.py)
    "goaltui.tui.dialogs.record_form",
    "goaltui.tui.dialogs.pick_record",
    "goaltui.tui.dialogs.help",
)


def _terminal_gone() -> bool:
    """Whether our terminal was hung up (its pty closed): then input would spin at EOF."""
    import os

    try:
        return os.fstat(0).st_nlink == 0 and not os.isatty(0)
    except OSError:
        return True


class GoalApp(App[None]):
    """The terminal UI of one workspace."""

    # The first screen's sheet too: Textual re-parses the whole stylesheet when a screen
    # brings a sheet it has not seen, on the event loop, while showing that screen. (Not
    # every screen's: each parse then reads more CSS, which costs more than it saves.)
    CSS_PATH: ClassVar[list[str | PurePath]] = [
        Path(__file__).with_name("app.tcss"),
        Path(__file__).parent / "screens" / "alignment.tcss",
    ]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"show('{mode}')", title, show=False, id=f"app.screen.{mode}")
            for mode, (key, title) in SCREENS.items()
        ),
        Binding("exclamation_mark,ctrl+k", "show('conflicts')", "Conflicts", id="app.conflicts"),
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        Binding("u", "undo", "Undo", id="app.undo"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", show=False, id="app.theme"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        paths: WorkspacePaths,
        *,
        engine: bool = True,
        theme: str = DARK,
        first_page: Prefetch | None = None,
    ) -> None:
        super().__init__()
        self.paths = paths
        self._first_page = first_page
        self.engine = engine
        self.theme = theme
        self.backend: Backend | None = None
        self.workspace_screens: list[WorkspaceScreen] = []
        self.detail: GoalDetailScreen | None = None
        self.ready = False
        self._switching = False
        self._top: Screen[object] | None = None
        self._first_painted = False
        self._switch_interval = sys.getswitchinterval()

    def on_load(self) -> None:
        # Textual writes each frame from a thread, and rows are rebuilt in thread workers:
        # with Python's default 5 ms switch interval, the output thread waited up to 5 ms
        # for the interpreter at each of its steps while the loop was busy (the first frame
        # reached the terminal ~12 ms after it was rendered), and the loop waited as long
        # for a worker. A 0.5 ms interval hands over sooner. Restored when the app ends.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)

    async def on_mount(self) -> None:
        try:
            self.backend = await Backend.open(self.paths, engine=self.engine)
        except GoaltuiError as err:
            self.exit(return_code=1, message=f"{err.title}: {err}")
            return
        self.title = f"goaltui — {self.backend.name}"
        self.backend.on_change(self._backend_changed)
        for mode in BUILT:
            self.add_mode(mode, self._factory(mode))
        await asyncio.sleep(0.001)  # a breath for the loop (keys, timers) before the screen
        await self._switch("alignment")
        self._first_painted = True  # or not: Textual paints it once on_mount returns
        self.set_interval(POLL_SECONDS, self._tick)
        self.ready = True
        # The engine child loads the whole document: start it once the first frame is out.
        self.call_after_refresh(self.set_timer, ENGINE_DELAY, self._after_first_frame)

    async def _switch(self, mode: str) -> None:
        """Show ``mode``'s screen, painted as soon as it is mounted.

        Textual's ``switch_mode`` holds every paint for a fixed 50 ms (``delay_update``)
        to hide a half-built screen: that was 50 ms of the first frame, and of each first
        switch to a screen. Paints are held instead until the screen is mounted.
        """
        self._switching = True
        try:
            with self.batch_update():
                await self.switch_mode(mode)
        finally:
            self._switching = False
        self.screen.refresh()

    def _display(self, screen: Screen[object], renderable: RenderableType | None) -> None:
        """Send a frame to the terminal; the first screen's first full frame even in a batch.

        Textual holds every paint until ``on_mount`` has returned, and drops (does not
        defer) the frames rendered meanwhile: the first screen's complete frame, rendered
        as it was laid out (~20 ms), was thrown away, and the screen was painted again,
        in three frames, while Textual worked through the events queued during start-up
        (~30 ms later). That first full frame of the mounted screen is sent as it is.
        """
        if (
            self._batch_count
            and not self._first_painted
            and screen is self.screen
            and isinstance(screen, WorkspaceScreen)
            and screen.is_mounted
            and isinstance(renderable, LayoutUpdate)
        ):
            self._first_painted = True
            held, self._batch_count = self._batch_count, 0
            try:
                super()._display(screen, renderable)
            finally:
                self._batch_count = held
            return
        super()._display(screen, renderable)

    def delay_update(self, delay: float = 0.05) -> None:
        if not self._switching:  # see _switch
            super().delay_update(delay)

    def _after_first_frame(self) -> None:
        if not self.is_running:  # quit (or a test ended) before the timer fired
            return
        if self.backend is not None:
            self.backend.start_engine()
        self._warm_imports()
        freeze_startup()
        self._top = self.screen
        self.screen_change_signal.subscribe(self, self._screen_changed)

    def _screen_changed(self, screen: Screen[object]) -> None:
        closed, self._top = self._top, screen
        if isinstance(closed, ModalScreen) and closed not in self.screen_stack:
            self._forget_when_removed(weakref.ref(closed), REMOVAL_CHECKS)

    def _forget_when_removed(self, dialog: weakref.ref[Screen[object]], checks: int) -> None:
        """Let go of a closed dialog once Textual has removed it, after the next frame."""
        if not self.is_running:
            return
        closed = dialog()
        if closed is not None and closed.is_attached and checks > 0:
            self.set_timer(REMOVAL_CHECK, partial(self._forget_when_removed, dialog, checks - 1))
            return
        del closed
        # Its timers' tasks end a moment later; and the collection pauses the loop, so
        # it waits for the frame of the screen under the dialog.
        self.set_timer(SETTLE, self._forget_after_refresh)

    def _forget_after_refresh(self) -> None:
        if self.is_running and self.screen_stack:
            self.screen.call_after_refresh(forget_closed, self)

    @work(thread=True, exit_on_error=False, group="warm-imports")
    def _warm_imports(self) -> None:
        """Import the forms' modules now, off the event loop, so the first ``e`` is quick."""
        import importlib

        for name in WARM_MODULES:
            importlib.import_module(name)

    def _tick(self) -> None:
        if self.backend is not None:
            self.backend.poll()
        if not self.is_headless and _terminal_gone():
            self.exit(return_code=1, message="The terminal went away.")

    def _factory(self, mode: str) -> Callable[[], Screen[None]]:
        def make() -> Screen[None]:
            assert self.backend is not None
            screen = _screen_class(mode)(self.backend)
            _styles_current(self, screen)
            if mode == "detail":
                self.detail = cast("GoalDetailScreen", screen)
            self.workspace_screens.append(screen)
            return screen

        return make

    def take_first_page(self) -> FirstPage | None:
        """The tree's first page read ahead at start (``tui/prefetch.py``), once; or None."""
        prefetch, self._first_page = self._first_page, None
        return prefetch.take() if prefetch is not None else None

    async def on_unmount(self) -> None:
        if self._first_page is not None:  # never taken (the app failed to open, or quit)
            self._first_page.close()
        unfreeze()
        sys.setswitchinterval(self._switch_interval)
        if self.backend is not None:
            await self.backend.close()

    # --- changes ----------------------------------------------------------------------------

    def _backend_changed(self, change: Change) -> None:
        if threading.get_ident() == self._thread_id:
            self._deliver(change)
        else:
            self.call_from_thread(self._deliver, change)

    def _deliver(self, change: Change) -> None:
        """Tell every built screen: this process's changes at once, others through its queue.

        Not through the app's queue, which is busy while a form's save (a priority
        binding, run by the app) awaits the engine. A change made here reaches the
        screens before the engine's answer does, so a screen under the saving form holds
        it and shows it in the frame in which the form closes (``take_change``); through
        the screen's queue it arrived after that frame and waited for the next one.
        Changes from elsewhere go through each screen's queue, where a burst of them
        is coalesced (``WorkspaceChanged.can_replace``).
        """
        for screen in self.workspace_screens:
            if change.origin == "local":
                screen.take_change(change)
            else:
                screen.post_message(WorkspaceChanged(change))

    async def on_goal_opened(self, message: GoalOpened) -> None:
        await self.action_show("detail", goal_id=message.goal_id)

    # --- actions ----------------------------------------------------------------------------

    async def action_show(self, mode: str, goal_id: str | None = None) -> None:
        if not self.ready:
            return
        if mode not in BUILT:
            self.notify(f"No screen {mode!r}", severity="warning", markup=False)
            return
        await self._switch(mode)
        if mode == "detail" and self.detail is not None:
            if goal_id is not None:
                self.detail.show_goal(goal_id)
            elif self.detail.goal_id is None:
                self.notify("Open a goal from the alignment tree (2) with enter")

    async def action_undo(self) -> None:
        if self.backend is None:
            return
        try:
            what = await self.backend.call("undo")
        except GoaltuiError as err:
            self.notify(str(err), title=err.title, severity="warning", markup=False)
            return
        if what is None:
            self.notify("Nothing to undo in this session", severity="warning")
        else:
            self.notify(f"Undone: {what}", markup=False)

    async def _show_conflicts(self) -> None:
        await self.action_show(CONFLICTS)

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def screen_keys(self) -> list[KeyHelp]:
        """Every key active on the current screen, with its description."""
        seen: set[str] = set()
        keys: list[KeyHelp] = []
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.description or (binding.id or key) in seen:
                continue
            seen.add(binding.id or key)
            keys.append((self.get_key_display(binding), binding.description, binding.id or ""))
        return keys

    def action_help(self) -> None:
        title = getattr(self.screen, "TITLE_TEXT", "") or self.screen.__class__.__name__
        from goaltui.tui.dialogs.help import HelpScreen  # not needed for the first frame

        self.push_screen(HelpScreen(title, self.screen_keys()))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, (key, title) in SCREENS.items():
            yield SystemCommand(f"Go to {title}", f"Screen {key}", partial(self.action_show, mode))
        yield SystemCommand(
            "Conflicts", "Fields edited concurrently: keep one value (!)", self._show_conflicts
        )
        yield SystemCommand("Undo", "Undo this device's last edit (u)", self.action_undo)
        yield SystemCommand(
            "Light/dark theme", "Toggle the theme (ctrl+t)", self.action_toggle_theme
        )
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.description and binding.id and not binding.id.startswith("app."):
                yield SystemCommand(
                    binding.description,
                    f"{binding.id} ({self.get_key_display(binding)})",
                    partial(self.run_action, binding.action, active.node),
                )


def _styles_current(app: App[None], screen: Screen[None]) -> None:
    """Mark a new screen as styled with the app's current CSS.

    Textual marks a new screen as behind and re-parses the whole stylesheet (every
    sheet, every widget's default CSS) twice while switching to it, although its widgets
    are styled from the current stylesheet as they mount: ~10 ms of the first frame
    and of each screen's first showing. A sheet the screen brings is still read.
    """
    if hasattr(screen, "_css_update_count") and hasattr(app, "_css_update_count"):
        screen._css_update_count = app._css_update_count


def _screen_class(mode: str) -> type[WorkspaceScreen]:
    """The screen class of a mode, imported when first shown (keeps start-up light)."""
    import importlib

    module, name = _SCREEN_CLASSES[mode]
    cls: type[WorkspaceScreen] = getattr(
        importlib.import_module(f"goaltui.tui.screens.{module}"), name
    )
    return cls


_SCREEN_CLASSES: dict[str, tuple[str, str]] = {
    "strategy": ("strategy", "StrategyScreen"),
    "alignment": ("alignment", "AlignmentScreen"),
    "detail": ("goal_detail", "GoalDetailScreen"),
    "timeline": ("timeline", "TimelineScreen"),
    "people": ("people", "PeopleScreen"),
    "checkin": ("checkin", "CheckinScreen"),
    "priorities": ("priorities", "PrioritiesScreen"),
    "review": ("review", "ReviewScreen"),
    "feedback": ("feedback", "FeedbackScreen"),
    CONFLICTS: ("conflicts", "ConflictsScreen"),
}


def create_app(
    paths: WorkspacePaths,
    *,
    engine: bool = True,
    theme: str = DARK,
    first_page: Prefetch | None = None,
) -> GoalApp:
    """The app on one workspace (``engine=False`` writes in-process, for tests)."""
    return GoalApp(paths, engine=engine, theme=theme, first_page=first_page)


def run_app(paths: WorkspacePaths, *, first_page: Prefetch | None = None) -> None:
    """Run the TUI on ``paths`` until the user quits (``first_page``: being read ahead)."""
    create_app(paths, first_page=first_page).run()
