"""Every key of the screen underneath, read from its live bindings so it never goes stale."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """Key bindings and commands of ``screen``; escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss_help", "Close", show=True)]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 64; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, screen: Screen[Any], extra: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        self._rows = self._collect(screen)
        self._extra = list(extra)

    def compose(self) -> Iterable[Widget]:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys"
            scroll.border_subtitle = "escape closes"
            yield Static(self._content(), id="help-keys")

    def _collect(self, screen: Screen[Any]) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []
        row_of: dict[str, int] = {}
        for active in screen.active_bindings.values():
            binding: Binding = active.binding
            if not binding.description:
                continue
            keys = " / ".join(
                self.app.get_key_display(Binding(key, binding.action))
                for key in binding.key.split(",")
            )
            if binding.action in row_of:  # another key for the same action (q and ctrl+q)
                index = row_of[binding.action]
                rows[index] = (f"{rows[index][0]} / {keys}", rows[index][1])
                continue
            row_of[binding.action] = len(rows)
            rows.append((keys, binding.tooltip or binding.description))
        return rows

    def _content(self) -> Content:
        width = max((len(keys) for keys, _ in self._rows), default=4) + 2
        lines = [
            Content.from_markup(
                "[b $text-accent]$keys[/]$pad$what", keys=k, pad=" " * (width - len(k)), what=w
            )
            for k, w in self._rows + self._extra
        ]
        lines.append(Content(""))
        lines.append(
            Content.from_markup(
                "[$text-muted]ctrl+p opens the command palette: every action is there too.[/]"
            )
        )
        return Content("\n").join(lines)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
