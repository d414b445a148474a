"""Branch after a message of a saved transcript: which message, and continue how.

"Branch from message #N" keeps messages #1 to #N (the 1-based numbers the viewer shows) and
continues live after #N: exactly ``--from FILE --at N``, which keeps messages 0..N-1. To say #N
anew, branch from #N-1. The dialog shows the equivalent command line as the number changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import attrs
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from tui.screens.box_dialog import BoxDialog

MODES = ("watch", "play", "connect")


@attrs.frozen
class BranchChoice:
    mode: str
    """watch, play or connect."""
    at: int
    """Keep messages 0..at-1 (#1..#at): the ``--at`` of the command line."""


class BranchDialog(BoxDialog[BranchChoice | None]):
    """Keep messages #1..#N and go on live: watched, played by you, or with a bot."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    BranchDialog > Vertical { width: 64; border: round $accent; }
    BranchDialog Button { margin-right: 1; min-width: 10; }
    BranchDialog #branch-means { height: auto; }
    BranchDialog #branch-cli, BranchDialog #branch-help { color: $text-muted; height: auto; }
    """

    def __init__(self, count: int, suggested: int, *, source: Path | None = None) -> None:
        super().__init__()
        self.count = count
        self.suggested = max(1, min(suggested, count))
        self.source = source
        """The parent transcript, named in the equivalent command line."""

    def compose(self) -> Iterable[Widget]:
        with Vertical() as box:
            box.border_title = "Branch from this conversation"
            yield Label(f"Last message to keep, 1 to {self.count} (then the run goes on live):")
            yield Input(str(self.suggested), id="branch-at", type="integer")
            means, command = self._means(self.suggested)
            yield Static(means, id="branch-means")
            yield Static(command, id="branch-cli", markup=False)
            with Horizontal():
                for mode in MODES:
                    first = mode == MODES[0]
                    yield Button(
                        mode.title(), variant="primary" if first else "default", id=f"branch-{mode}"
                    )
                yield Button("Cancel", id="branch-cancel")
            yield Static(
                "Watch: both sides simulated · Play: you are the agent · Connect: the bot"
                " the session was held with, else the scenario's or the demo bot (a bot does"
                " not see the history)",
                id="branch-help",
            )

    def _means(self, at: int | None) -> tuple[Content, str]:
        """What the number keeps, and the same branch on the command line."""
        if at is None or not 1 <= at <= self.count:
            warning = Content.from_markup(
                "[$text-warning]Enter a message number from 1 to $count.[/]", count=str(self.count)
            )
            return warning, ""
        kept = "#1" if at == 1 else f"#1-#{at}"
        again = f"; to say #{at} anew, enter {at - 1}" if at > 1 else ""
        name = self.source.name if self.source is not None else "TRANSCRIPT"
        means = Content(f"Keeps {kept}, goes on after #{at}{again}.")
        return means, f"On the command line: --from {name} --at {at}"

    def _number(self) -> int | None:
        try:
            return int(self.query_one(Input).value.strip())
        except ValueError:
            return None

    @on(Input.Changed)
    def _edited(self) -> None:
        means, command = self._means(self._number())
        self.query_one("#branch-means", Static).update(means)
        self.query_one("#branch-cli", Static).update(command)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._choose("watch")

    @on(Button.Pressed, "#branch-watch, #branch-play, #branch-connect")
    def _mode_pressed(self, event: Button.Pressed) -> None:
        self._choose(str(event.button.id).removeprefix("branch-"))

    @on(Button.Pressed, "#branch-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _choose(self, mode: str) -> None:
        at = self._number()
        if at is None or not 1 <= at <= self.count:
            self.notify(f"Enter a message number from 1 to {self.count}.", severity="warning")
            return
        self.dismiss(BranchChoice(mode, at))
