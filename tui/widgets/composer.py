"""Play mode's input: the person types the agent's next message (multi-line)."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Static, TextArea

from tui.widgets.messages import WidgetMessage


class Composer(Widget):
    """A TextArea with a send key; posts :class:`Composer.Submitted` and clears itself."""

    DEFAULT_CSS = """
    Composer {
        height: auto;
        & > TextArea { height: auto; min-height: 3; max-height: 8; }
        & > #composer-hint { height: 1; padding: 0 1; color: $text-muted; }
    }
    Composer.-disabled > #composer-hint { color: $text-warning; }
    """

    BINDINGS = [
        Binding("ctrl+s,ctrl+enter", "send", "Send", priority=True),
    ]

    class Submitted(WidgetMessage["Composer"]):
        """The person sent a message as the agent (``control``: the composer)."""

        def __init__(self, composer: Composer, text: str) -> None:
            super().__init__(composer)
            self.text = text

    def __init__(
        self,
        *,
        cursor_blink: bool = True,
        title: str = "Your reply as the agent",
        hint: str = "ctrl+s send · enter new line · ctrl+f end the chat",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        # Built here, not in compose: the composer owns its one text area from the start, so
        # set_title and text work before it is mounted and never need a query.
        self._area = TextArea(soft_wrap=True, show_line_numbers=False, id="composer-input")
        self._area.cursor_blink = cursor_blink
        self._area.border_title = title
        self._accepting = True
        self._ready_hint = hint

    def compose(self) -> Iterable[Widget]:
        yield self._area
        yield Static(self._hint(), id="composer-hint")

    @property
    def text_area(self) -> TextArea:
        return self._area

    @property
    def text(self) -> str:
        return self.text_area.text

    def set_accepting(self, accepting: bool, reason: str = "") -> None:
        """Whether sending is possible now (the chat is open); the hint says why not."""
        self._accepting = accepting
        self.set_class(not accepting, "-disabled")
        self.text_area.read_only = not accepting
        self.query_one("#composer-hint", Static).update(self._hint(reason))

    def action_send(self) -> None:
        # The send key is a priority binding: it is handled as soon as it arrives, before the
        # text area has processed keys typed just before it (a fast typist, a terminal batching
        # input). Read the text once the text area's queue has caught up, or those keys are lost.
        self.text_area.call_later(self._send_now)

    def _send_now(self) -> None:
        text = self.text_area.text
        if not self._accepting:
            self.app.bell()
            return
        if not text.strip():
            self.notify("Type a message first.", severity="warning", timeout=3)
            return
        self.text_area.clear()
        self.post_message(self.Submitted(self, text.rstrip()))

    def _hint(self, reason: str = "") -> str:
        if not self._accepting:
            return reason or "The chat is over."
        return self._ready_hint

    def set_title(self, title: str) -> None:
        self._area.border_title = title
