"""Branch from a message of a saved transcript: which message, and continue how."""

from __future__ import annotations

from collections.abc import Iterable

import attrs
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static


@attrs.frozen
class BranchChoice:
    mode: str
    """watch, play or connect."""
    at: int
    """Keep messages 0..at-1."""


class BranchDialog(ModalScreen[BranchChoice | None]):
    """Keep messages #1..#N and go on live: watched, played by you, or with a bot."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    BranchDialog { align: center middle; }
    BranchDialog > Vertical {
        width: 64; max-width: 95%; height: auto;
        border: round $accent; background: $surface; padding: 0 1;
    }
    BranchDialog Horizontal { height: auto; }
    BranchDialog Button { margin-right: 1; min-width: 10; }
    BranchDialog #branch-help { color: $text-muted; height: auto; }
    """

    def __init__(self, count: int, suggested: int) -> None:
        super().__init__()
        self.count = count
        self.suggested = max(1, min(suggested, count))

    def compose(self) -> Iterable[Widget]:
        with Vertical() as box:
            box.border_title = "Branch from this conversation"
            yield Label(f"Keep messages #1 to # (1-{self.count}), then continue live:")
            yield Input(str(self.suggested), id="branch-at", type="integer")
            with Horizontal():
                yield Button("Watch", variant="primary", id="branch-watch")
                yield Button("Play", id="branch-play")
                yield Button("Connect", id="branch-connect")
                yield Button("Cancel", id="branch-cancel")
            yield Static(
                "Watch: both sides simulated · Play: you are the agent · Connect: the"
                " scenario's bot or the demo bot (it does not see the history)",
                id="branch-help",
            )

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._choose("watch")

    @on(Button.Pressed, "#branch-watch")
    def _watch(self) -> None:
        self._choose("watch")

    @on(Button.Pressed, "#branch-play")
    def _play(self) -> None:
        self._choose("play")

    @on(Button.Pressed, "#branch-connect")
    def _connect(self) -> None:
        self._choose("connect")

    @on(Button.Pressed, "#branch-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _choose(self, mode: str) -> None:
        text = self.query_one(Input).value.strip()
        try:
            at = int(text)
        except ValueError:
            at = 0
        if not 1 <= at <= self.count:
            self.notify(f"Enter a message number from 1 to {self.count}.", severity="warning")
            return
        self.dismiss(BranchChoice(mode, at))
