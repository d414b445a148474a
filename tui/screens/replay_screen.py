"""The result of ``convsim replay``: per conversation, per turn, recorded vs new, and outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Static

from convsim_core.replay import ReplayComparison
from tui.screens.help import HelpScreen
from tui.widgets.turn_diff import TurnDiff


class ReplayScreen(Screen[None]):
    BINDINGS = [
        Binding("n", "next_change", "Next change", tooltip="Scroll to the next changed turn"),
        Binding("question_mark,f1", "help", "Help", tooltip="Show every key"),
    ]
    AUTO_FOCUS = "#replay-turns"

    def __init__(self, results: Sequence[ReplayComparison]) -> None:
        super().__init__()
        self.results = list(results)
        self._next = 0

    def compose(self) -> Iterable[Widget]:
        yield Header(icon="◆")
        with Horizontal(id="replay-body"):
            with VerticalScroll(id="replay-turns"):
                for result in self.results:
                    yield Static(_title(result), classes="replay-title")
                    for turn in result.turns:
                        yield TurnDiff(turn)
            with VerticalScroll(id="side", can_focus=False):
                yield Static(_summary(self.results), id="replay-summary")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.title = "convsim · replay"
        changed = sum(1 for r in self.results if r.changed)
        self.sub_title = f"{len(self.results)} replayed · {changed} changed"
        self.query_one("#replay-summary").border_title = "Summary"

    def action_next_change(self) -> None:
        changed = [w for w in self.query(TurnDiff) if w.turn.changed]
        if not changed:
            self.app.bell()
            return
        widget = changed[self._next % len(changed)]
        self._next += 1
        self.query_one("#replay-turns", VerticalScroll).scroll_to_widget(widget, top=True)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))


def _title(result: ReplayComparison) -> Content:
    outcome = (
        "[$text-warning]outcome $old → $new[/]"
        if result.outcome_changed
        else "[$text-success]outcome $old[/]"
    )
    return Content.from_markup(
        f"[b]$name[/b]  {outcome}  [$text-muted]$changed of $turns turns changed[/]",
        name=result.path.name,
        old=result.recorded_outcome or "none",
        new=result.new_outcome or "none",
        changed=str(len(result.changed_turns)),
        turns=str(len(result.turns)),
    )


def _summary(results: Sequence[ReplayComparison]) -> Content:
    turns = sum(len(r.turns) for r in results)
    changed_turns = sum(len(r.changed_turns) for r in results)
    lines = [
        Content.from_markup(
            "[b]$n[/b] conversations · [b]$c[/b] changed",
            n=str(len(results)),
            c=str(sum(1 for r in results if r.changed)),
        ),
        Content.from_markup("[b]$c[/b] of $t turns changed", c=str(changed_turns), t=str(turns)),
        Content(""),
    ]
    for result in results:
        style = "$text-warning" if result.changed else "$text-success"
        lines.append(
            Content.from_markup(
                f"[{style}]$name[/] $old → $new",
                name=result.path.stem,
                old=result.recorded_outcome or "none",
                new=result.new_outcome or "none",
            )
        )
        if result.error:
            lines.append(Content.from_markup("[$text-error]$e[/]", e=result.error))
    return Content("\n").join(lines)
