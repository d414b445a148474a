"""The channel's connection state in connect mode: connected, reconnecting, failed."""

from __future__ import annotations

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

    def __init__(self, target: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Bot"
        self.target = target
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
        else:
            self.history.append(state)
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
        if self.target:
            lines.append(Content.from_markup("[$text-muted]$target[/]", target=self.target))
        self.update(Content("\n").join(lines))
