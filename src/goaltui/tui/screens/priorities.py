"""Screen 7, priorities: rank goals for yourself; see where stakeholders' rankings diverge."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from goaltui.model.dates import today
from goaltui.tui.backend import Backend
from goaltui.tui.data import titles_of
from goaltui.tui.screens.base import WorkspaceScreen
from goaltui.tui.widgets.key_bar import KeyBar
from goaltui.tui.widgets.title_bar import TitleBar

__all__ = ["PrioritiesScreen", "current_cycle", "divergence", "ranking_of"]

CANDIDATES = 200
DIVERGENCE_ROWS = 30
_SEPARATOR = "\0sep"


def current_cycle(reader: Any) -> dict[str, Any] | None:
    """The cycle running today, else the latest that started; None without cycles."""
    on = today()
    cycles = reader.list_records("cycles", order_by="-start")
    running = [c for c in cycles if (c.get("start") or "") <= on <= (c.get("end") or "9999")]
    started = [c for c in cycles if (c.get("start") or "") <= on]
    return (running or started or cycles or [None])[0]


def ranking_of(reader: Any, person: str, cycle: str | None) -> list[str]:
    """``person``'s saved ranking for ``cycle`` (goal ids, first is most important)."""
    rows = reader.list_records("priorities", where={"person": person, "cycle": cycle})
    ranking = rows[0].get("ranking") if rows else None
    return [str(g) for g in ranking] if isinstance(ranking, list) else []


def divergence(
    reader: Any, cycle: str | None, limit: int = DIVERGENCE_ROWS
) -> list[dict[str, Any]]:
    """Goals ranked by at least two people for ``cycle``, widest spread of ranks first."""
    rows = reader.view("priority_divergence", where={"cycle": cycle})
    return [r for r in rows if int(r.get("rankers") or 0) >= 2][:limit]


def _line(text: str) -> Text:
    return Text(text, no_wrap=True, overflow="ellipsis")


class PrioritiesScreen(WorkspaceScreen):
    """My ranking on the left (space ranks or unranks, shift+↑/↓ moves); divergence on the right."""

    TITLE_TEXT = "7 Priorities"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("shift+up,K", "move(-1)", "Move up", id="priorities.up"),
        Binding("shift+down,J", "move(1)", "Move down", id="priorities.down"),
        Binding("space", "toggle_rank", "Rank/unrank", id="priorities.toggle"),
        Binding("ctrl+s", "save", "Save ranking", priority=True, id="priorities.save"),
        Binding("ctrl+r", "revert", "Revert", id="priorities.revert"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.me: str | None = None
        self.cycle: dict[str, Any] | None = None
        self.ranking: list[str] = []
        self.saved_ranking: list[str] = []
        self.others: list[str] = []
        self.titles: dict[str, str] = {}

    @property
    def cycle_id(self) -> str | None:
        return str(self.cycle["id"]) if self.cycle else None

    @property
    def dirty(self) -> bool:
        return self.ranking != self.saved_ranking

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="prio-heading")
        with Horizontal(id="prio-body"):
            yield OptionList(id="ranking")
            with VerticalScroll(id="divergence-box"):
                yield Static("", id="divergence")
        yield KeyBar()

    def on_mount(self) -> None:
        self.load_ranking()
        self.query_one(OptionList).focus()

    def load_ranking(self) -> None:
        """(Re)read my saved ranking and the goals I could rank."""
        self.me = self.backend.me
        self.cycle = current_cycle(self.reader)
        self.saved_ranking = ranking_of(self.reader, self.me, self.cycle_id) if self.me else []
        self.ranking = list(self.saved_ranking)
        self.reload()

    def reload(self) -> None:
        if not self.dirty:
            self.saved_ranking = ranking_of(self.reader, self.me, self.cycle_id) if self.me else []
            self.ranking = list(self.saved_ranking)
        where: dict[str, object] = {"cycle": self.cycle_id} if self.cycle_id else {}
        goals = self.reader.list_records("goals", where=where, order_by="title", limit=CANDIDATES)
        live = [g for g in goals if g.get("status") not in ("achieved", "missed", "dropped")]
        self.titles = {str(g["id"]): str(g.get("title") or "") for g in live}
        self.titles.update(
            titles_of(self.reader, [g for g in self.ranking if g not in self.titles])
        )
        self.others = [gid for gid in self.titles if gid not in self.ranking]
        self._fill()
        self.query_one("#divergence", Static).update(self._divergence())

    def _heading(self) -> Text:
        if self.me is None:
            return Text(" Who are you? Set 'me' in the workspace config to rank goals.")
        cycle = str(self.cycle.get("name")) if self.cycle else "no cycle"
        text = Text(f" My ranking for {cycle}", style="bold")
        text.append(" · * unsaved (ctrl+s saves)" if self.dirty else " · saved", style="dim")
        return text

    def _fill(self) -> None:
        self.query_one("#prio-heading", Static).update(self._heading())
        options = self.query_one(OptionList)
        keep = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
        for n, gid in enumerate(self.ranking, 1):
            options.add_option(Option(_line(f"{n:>3}. {self.titles.get(gid, gid)}"), gid))
        label = "not ranked yet — space adds" if self.others else "every goal is ranked"
        options.add_option(Option(Text(f"── {label} ──", style="dim"), _SEPARATOR, disabled=True))
        for gid in self.others:
            options.add_option(Option(_line(f"   · {self.titles[gid]}"), gid))
        if keep and keep != _SEPARATOR:
            options.highlighted = options.get_option_index(keep)
        elif options.option_count > 1:
            options.highlighted = 0 if self.ranking else 1

    def _divergence(self) -> Text:
        rows = divergence(self.reader, self.cycle_id)
        text = Text("Where rankings diverge\n", style="bold")
        if not rows:
            text.append("No goal is ranked by two people yet for this cycle.", style="dim")
            return text
        text.append("spread = worst rank − best rank across people\n", style="dim")
        for r in rows:
            spread = int(r.get("spread") or 0)
            text.append(f"{'⚠' if spread >= 3 else '·'} {spread:>2} ", style="bold")
            text.append(str(r.get("title") or r.get("goal")) + "\n")
            text.append(
                f"     ranks {r['min_rank']}–{r['max_rank']}, avg {r['avg_rank']},"
                f" {r['rankers']} people\n",
                style="dim",
            )
        return text

    def _highlighted(self) -> str | None:
        option = self.query_one(OptionList).highlighted_option
        return None if option is None or option.id in (None, _SEPARATOR) else option.id

    def action_move(self, step: int) -> None:
        gid = self._highlighted()
        if gid is None or gid not in self.ranking:
            return
        at = self.ranking.index(gid)
        to = min(max(at + step, 0), len(self.ranking) - 1)
        self.ranking.insert(to, self.ranking.pop(at))
        self._fill()

    def action_toggle_rank(self) -> None:
        gid = self._highlighted()
        if gid is None:
            return
        if gid in self.ranking:
            self.ranking.remove(gid)
            self.others.insert(0, gid)
        else:
            self.others.remove(gid)
            self.ranking.append(gid)
        self._fill()

    async def action_save(self) -> None:
        if self.me is None:
            self.notify("Set 'me' in the workspace config first", severity="warning")
            return
        ranking = list(self.ranking)
        done = await self.run_op(
            "rank_priorities", ranking=ranking, cycle=self.cycle_id, done="Ranking saved"
        )
        if done:
            self.saved_ranking = ranking
            self.reload()

    def action_revert(self) -> None:
        self.ranking = list(self.saved_ranking)
        self.reload()
