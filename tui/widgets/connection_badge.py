"""The bot pane in connect mode: connection state, transport and URL, and reply latency."""

from __future__ import annotations

import statistics
from datetime import datetime

from textual.content import Content
from textual.widgets import Static

from convsim_core.channel import ChannelState
from convsim_core.textsafe import one_line

_LOOK = {
    ChannelState.CONNECTING: ("◌", "$text-muted", "connecting"),
    ChannelState.CONNECTED: ("●", "$text-success", "connected"),
    ChannelState.RECONNECTING: ("◌", "$text-warning", "reconnecting"),
    ChannelState.FAILED: ("✕", "$text-error", "failed"),
    ChannelState.CLOSED: ("○", "$text-muted", "closed"),
}


class ConnectionBadge(Static):
    DEFAULT_CSS = """
    ConnectionBadge { height: auto; }
    """

    def __init__(self, target: str = "", *, transport: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Bot"
        self.target = target
        self.transport = transport
        self.latencies: list[float] = []
        """Seconds from each customer message to the bot's first answer to it."""
        self._asked_at: datetime | None = None
        self.state: ChannelState | None = None
        self.detail = ""
        self.history: list[ChannelState] = []
        """Every state reported this run, oldest first."""

    def on_mount(self) -> None:
        self._paint()

    def set_state(self, state: ChannelState | None, detail: str = "") -> None:
        self.state = state
        self.detail = detail
        if state is None:
            self.history.clear()
            self.latencies.clear()
            self._asked_at = None
        else:
            self.history.append(state)
        self._paint()

    def customer_spoke(self, at: datetime) -> None:
        self._asked_at = at

    def bot_replied(self, at: datetime) -> None:
        """Count the bot's first answer after a customer message (later ones are follow-ups)."""
        if self._asked_at is not None:
            self.latencies.append(max(0.0, (at - self._asked_at).total_seconds()))
            self._asked_at = None
            self._paint()

    def _paint(self) -> None:
        if self.state is None:
            line = Content.from_markup("[$text-muted]◌ not connected yet[/]")
        else:
            icon, style, word = _LOOK[self.state]
            line = Content.from_markup(f"[b {style}]$icon $word[/]", icon=icon, word=word)
        lines = [line]
        if self.detail:
            lines.append(
                Content.from_markup("[$text-muted]$detail[/]", detail=one_line(self.detail))
            )
        if self.transport:
            lines.append(Content.from_markup("[b]$transport[/b]", transport=self.transport))
        if self.target:
            lines.append(Content.from_markup("[$text-muted]$target[/]", target=self.target))
        if self.latencies:
            lines.append(
                Content.from_markup(
                    "Replies $n · median $median · slowest $slowest",
                    n=str(len(self.latencies)),
                    median=_seconds(statistics.median(self.latencies)),
                    slowest=_seconds(max(self.latencies)),
                )
            )
        self.update(Content("\n").join(lines))


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"
