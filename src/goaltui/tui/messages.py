"""Messages screens post up to the app: past-tense facts."""

from __future__ import annotations

from textual.message import Message

from goaltui.tui.backend import Change

__all__ = ["GoalOpened", "WorkspaceChanged"]


class WorkspaceChanged(Message):
    """The workspace changed (here, in another process, or by sync); the mirror has it.

    Posted to each workspace screen; it does not bubble up to the app.
    """

    bubble = False

    def __init__(self, change: Change) -> None:
        super().__init__()
        self.change = change

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, WorkspaceChanged) and message.change.origin != "local"


class GoalOpened(Message):
    """The user opened a goal (to show its detail screen)."""

    def __init__(self, goal_id: str) -> None:
        super().__init__()
        self.goal_id = goal_id
