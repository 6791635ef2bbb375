"""What every workspace screen shares: its backend, reloading, and error display."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual import events, on
from textual.screen import ModalScreen, Screen

from goaltui.errors import GoaltuiError
from goaltui.tui.backend import Backend, Change
from goaltui.tui.messages import WorkspaceChanged

__all__ = ["WorkspaceScreen"]


class WorkspaceScreen(Screen[None]):
    """A screen over one workspace; the app calls :meth:`workspace_changed` after changes."""

    TITLE_TEXT = ""

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self._stale = False
        self._shown = False  # its first frame painted
        self._held: list[Change] = []  # local changes made while a dialog was over it

    @property
    def reader(self) -> Any:
        return self.backend.reader

    def reload(self) -> None:
        """Re-read what the screen shows from the mirror."""

    def on_workspace_changed(self, message: WorkspaceChanged) -> None:
        self.take_change(message.change)

    def take_change(self, change: Change) -> None:
        """Show a change now, or hold it while a dialog over this screen is saving it."""
        if not self.is_mounted:  # still being built: its queue has it once it runs
            self.post_message(WorkspaceChanged(change))
            return
        top = self.app.screen
        if (
            change.origin == "local"
            and isinstance(top, ModalScreen)
            and self in self.app.screen_stack
        ):
            # A dialog over this screen saved it (a form): the dialog closes in a moment.
            # Repainting rows under it now made Textual re-render the whole dialog over
            # them (10-25 ms) in the middle of the save; they are shown as it closes
            # (_top_changed).
            self._held.append(change)
            return
        # A screen under a dialog is still on screen.
        self.workspace_changed(change, visible=self in self.app.screen_stack)

    def workspace_changed(self, change: Change, *, visible: bool) -> None:
        """Reload now if on screen, else on the next resume."""
        if visible:
            self.reload()
        else:
            self._stale = True

    @on(events.ScreenResume)
    def _styled_as_mounted(self, event: events.ScreenResume) -> None:
        # Textual re-applies the whole stylesheet to every widget of a screen as it
        # resumes, twice when it is first shown, although the widgets were styled as
        # they mounted (~10 ms of the first frame). Later resumes are left as they are.
        if not self._shown:
            event.refresh_styles = False

    def on_mount(self) -> None:
        self.call_after_refresh(self._first_frame_out)
        self.app.screen_change_signal.subscribe(self, self._top_changed, immediate=True)

    def _top_changed(self, screen: Screen[object]) -> None:
        # Published as the dialog is popped, before the next frame (the screen's resume
        # comes a few ms later, after that frame): the rows change in the same frame.
        if screen is self:
            self._show_held()

    def _show_held(self) -> None:
        held, self._held = self._held, []
        for change in held:
            self.workspace_changed(change, visible=True)

    def _first_frame_out(self) -> None:
        self._shown = True

    def on_screen_resume(self) -> None:
        self.sub_title = self.TITLE_TEXT
        self._show_held()
        if self._stale:
            self._stale = False
            self.reload()

    async def run_op(self, op: str, *, done: str | None = None, **kwargs: Any) -> Any:
        """Call one engine operation; show errors as a toast; None when it failed."""
        from goaltui.model.errors import ValidationError  # not needed for the first frame

        try:
            result = await self.backend.call(op, **kwargs)
        except ValidationError as err:
            self.notify(str(err), title="Not saved", severity="error", markup=False)
            return None
        except GoaltuiError as err:
            self.notify(str(err), title=err.title, severity="error", markup=False)
            return None
        if done:
            self.notify(done, markup=False)
        return result if result is not None else True

    def submitter(self, op: str, **fixed: Any) -> Callable[[dict[str, Any]], Awaitable[Any]]:
        """A form's ``submit``: the op with the form's ``fields`` (errors go to the form)."""

        async def submit(fields: dict[str, Any]) -> Any:
            return await self.backend.call(op, **fixed, fields=fields)

        return submit
