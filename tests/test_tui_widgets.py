"""The app's own bars, the status line following the cursor, changes under a saving form."""
# ruff: noqa: F811  (pytest fixtures imported from test_tui_support)

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from textual.command import CommandPalette

from goaltui.tui.app import create_app
from goaltui.tui.dialogs.help import HelpScreen
from goaltui.tui.dialogs.record_form import RecordForm
from goaltui.tui.widgets.key_bar import KeyBar
from goaltui.tui.widgets.title_bar import TitleBar
from goaltui.workspace import Workspace
from test_tui_support import (  # noqa: F401  (fixtures)
    demo,
    demo_template,
    form_shown,
    mirror_rows,
    started,
    wait_until,
)

pytestmark = pytest.mark.slow  # each test starts the app on a copy of the demo (1–4 s)


async def test_key_bar_shows_the_screens_keys_and_a_click_presses_one(demo: Any) -> None:
    paths, _ = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(160, 30)) as pilot:
        screen = await started(pilot)
        bar = screen.query_one(KeyBar)
        text = str(bar.render())
        for shown in ("/ Filter", "a Add goal", "? Help", "q Quit", "^p palette"):
            assert shown in text
        assert "Page up" not in text  # show=False bindings stay out
        x = text.index("? Help") + 1
        await pilot.click(KeyBar, offset=(x, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help opened")


async def test_title_bar_shows_app_and_screen_titles_and_opens_the_palette(demo: Any) -> None:
    paths, _ = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await started(pilot)
        bar = screen.query_one(TitleBar)
        await wait_until(pilot, lambda: "2 Alignment" in str(bar.render()), "sub-title shown")
        line = str(bar.render())
        assert line.startswith(" ⭘") and "goaltui — demo — 2 Alignment" in line
        assert len(line) == 80
        app.title = "renamed [bold]x[/]"  # user text: shown literally
        await wait_until(pilot, lambda: "renamed [bold]x[/]" in str(bar.render()), "retitled")
        await pilot.click(TitleBar, offset=(1, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")


async def test_status_line_follows_the_cursor_in_the_same_step(demo: Any) -> None:
    paths, _ = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await started(pilot)
        goals = screen.goals
        assert len(screen.model.rows) > 2
        target = screen.model.rows[2].goal["title"]
        goals.cursor = 2  # no await: the status line must already show it (same frame)
        assert str(target) in str(screen.query_one("#status-line").render())


def _current_goal(screen: Any) -> str:
    """The id of the goal under the alignment list's cursor."""
    row = screen.goals.current
    assert row is not None
    return str(row.id)


def _lists_title(screen: Any, goal_id: str, title: str) -> Callable[[], bool]:
    """Whether the alignment model's row of ``goal_id`` has ``title`` now."""

    def listed() -> bool:
        index = screen.model.index_of(goal_id)
        return index is not None and screen.model.rows[index].goal["title"] == title

    return listed


async def test_a_forms_own_change_is_shown_as_it_closes_not_under_it(demo: Any) -> None:
    """While a form saves, the list under it is not repainted (that made Textual re-render
    the whole form mid-save); the row has the new value by the time the form is popped,
    before the frame that shows the list again."""
    paths, _ = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await started(pilot)
        goal_id = _current_goal(screen)
        under_form: list[bool] = []
        at_pop: list[bool] = []
        listed = _lists_title(screen, goal_id, "Saved")

        def popped(top: Any) -> None:
            if top is screen:
                at_pop.append(listed())

        async def submit(fields: dict[str, Any]) -> Any:
            await app.backend.call("edit", record_id=goal_id, fields={"title": "Saved"})
            for _ in range(5):  # the change was delivered; the form is still open
                await asyncio.sleep(0.002)
            under_form.append(listed())
            app.screen_change_signal.subscribe(app, popped, immediate=True)
            return True

        form = RecordForm(
            "goal", submit=submit, choices=lambda ref, current: [], values={"title": "x"}
        )
        app.push_screen(form)
        await wait_until(pilot, lambda: app.screen is form and form.is_mounted, "form")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "form closed")
        assert under_form == [False]
        assert at_pop == [True]
    assert mirror_rows(paths, "goals", id=goal_id)[0]["title"] == "Saved"


async def test_a_change_from_elsewhere_reaches_the_list_under_an_open_dialog(demo: Any) -> None:
    """Only a dialog's own save is held: another process's edit shows under an open form."""
    paths, _ = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await started(pilot)
        goal_id = _current_goal(screen)
        form = RecordForm(
            "goal", submit=lambda fields: asyncio.sleep(0), choices=lambda r, c: [], values={}
        )
        app.push_screen(form)
        await wait_until(pilot, lambda: app.screen is form and form.is_mounted, "form")
        with Workspace.open(paths) as other:  # a second writer on the same directory
            other.edit(goal_id, {"title": "Renamed elsewhere"})
        listed = _lists_title(screen, goal_id, "Renamed elsewhere")
        await wait_until(pilot, listed, "the row under the form re-read")
        assert app.screen is form


async def test_filter_box_appears_on_slash_filters_and_escape_clears(demo: Any) -> None:
    paths, _ = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await started(pilot)
        assert not screen.query("#filter")  # not in the first frame
        everything = len(screen.model.rows)
        word = str(screen.model.rows[-1].goal["title"]).split()[0]
        await pilot.press("slash", *word)
        box = screen.query_one("#filter")
        assert box.has_focus and box.display
        await wait_until(pilot, lambda: screen.model.filter == word, "filtered")
        titles = [str(r.goal["title"]) for r in screen.model.rows]
        assert titles and all(word.lower() in t.lower() for t in titles)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen.model.filter, "cleared")
        assert len(screen.model.rows) == everything and screen.goals.has_focus
        assert not box.display


async def test_rows_drawn_again_after_an_edit_and_a_theme_change(demo: Any) -> None:
    paths, _ = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await started(pilot)
        goals = screen.goals
        row = screen.model.rows[1]
        before = goals.render_line(1)
        assert goals.render_line(1) is before  # drawn once, then kept
        screen.model.reload()  # new row dicts, equal to the drawn ones (as after a rebuild)
        assert screen.model.rows[1].goal is not row.goal
        assert goals.render_line(1) is before  # equal data: not drawn again
        # a due date (sorted by title, the row stays where it is)
        await app.backend.call("edit", record_id=row.id, fields={"due": "2031-01-02"})
        await wait_until(pilot, lambda: "2031-01-02" in goals.render_line(1).text, "edit")
        dark = goals.render_line(1)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: goals.render_line(1) is not dark, "theme redraw")
        light = goals.render_line(1)
        assert light.text == dark.text
        assert [s.style for s in light] != [s.style for s in dark]


async def test_closed_forms_do_not_stay_alive(demo: Any) -> None:
    """Textual keeps a closed form's TextArea (a theme watcher); the app lets go of it."""
    import gc

    from textual.widgets import TextArea

    paths, _ = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await started(pilot)
        await pilot.pause(0.2)  # after the first frame: the app listens for screen changes
        for _ in range(3):
            await pilot.press("e")
            await wait_until(pilot, lambda: form_shown(app), "form")
            assert app.screen.query(TextArea)  # the goal form has a description
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is screen, "form closed")

        def closed_text_areas() -> list[TextArea]:
            gc.collect()
            return [o for o in gc.get_objects() if isinstance(o, TextArea) and not o.is_attached]

        await wait_until(pilot, lambda: not closed_text_areas(), "closed forms collected")
        await pilot.press("ctrl+t")  # the theme still reaches live widgets
        await wait_until(pilot, lambda: app.theme == "textual-light", "light theme")


async def test_a_closed_form_is_freed_without_waiting_for_pythons_collector(demo: Any) -> None:
    """A form is ~20k objects in cycles: freed one at a time, not many in one long pause."""
    import gc

    from textual.widgets import TextArea

    paths, _ = demo
    app = create_app(paths, engine=False)
    gc.disable()  # only the app's own collection may free the form
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            screen = await started(pilot)
            await pilot.pause(0.2)  # after the first frame: the app listens for screen changes
            await pilot.press("e")
            await wait_until(pilot, lambda: form_shown(app), "form")
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is screen, "form closed")

            def closed_text_areas() -> list[TextArea]:
                return [
                    o for o in gc.get_objects() if isinstance(o, TextArea) and not o.is_attached
                ]

            await wait_until(pilot, lambda: not closed_text_areas(), "closed form freed")
    finally:
        gc.enable()


async def test_a_new_screen_is_styled_without_reparsing_and_painted_once_mounted(
    demo: Any,
) -> None:
    """Switching to a screen built for the first time: the current theme, no CSS reparse,
    and no paint held back once it is mounted (Textual's switch holds them 50 ms)."""
    from goaltui.tui.screens.timeline import TimelineScreen

    paths, _ = demo
    app = create_app(paths, engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await started(pilot)
        await pilot.press("ctrl+t")  # light, before the timeline screen exists
        await wait_until(pilot, lambda: app.theme == "textual-light", "light theme")
        await pilot.pause()
        light_bar = screen.query_one(KeyBar).styles.background
        reparse = app.stylesheet.reparse
        reparsed: list[int] = []

        def counted() -> None:
            reparsed.append(1)
            reparse()

        app.stylesheet.reparse = counted  # type: ignore[method-assign]
        await app.action_show("timeline")
        assert isinstance(app.screen, TimelineScreen)
        assert app._batch_count == 0  # nothing holds the first paint of the new screen
        assert len(reparsed) == 1  # its own sheet, read once (Textual: twice more)
        await pilot.pause()
        assert app.screen.query_one(KeyBar).styles.background == light_bar
        await pilot.press("ctrl+t")  # a theme change still restyles every screen
        await wait_until(pilot, lambda: app.theme == "textual-dark", "dark theme")
        await wait_until(
            pilot, lambda: app.screen.query_one(KeyBar).styles.background != light_bar, "restyled"
        )
