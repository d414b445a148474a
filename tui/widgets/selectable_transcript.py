"""The transcript viewer's pane: one message selected, moved by keys and clicks.

A saved conversation is read to act on one of its messages (branch after it), so the viewer's
pane keeps a highlighted message the way a Textual list keeps its cursor: up/down or k/j move
it, home/end jump to the first and last message, a click selects the message under the mouse,
and the selected message is scrolled into view. Live runs keep the plain
:class:`~tui.widgets.transcript.TranscriptView`, whose arrow keys scroll.

The highlight works on both halves of the pane: a mounted bubble (``MessageBubble.-selected``)
and a line of the compact archive of older messages (``EarlierMessages``).
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.widget import Widget

from tui.widgets.transcript import EarlierMessages, MessageBubble, TranscriptView


class SelectableTranscript(TranscriptView):
    """A :class:`TranscriptView` with a selected message (``selected``, 0-based)."""

    BINDINGS = [
        Binding(
            "down,j",
            "select_next",
            "Select",
            key_display="↑↓",
            tooltip="Select the next message",
        ),
        Binding(
            "up,k", "select_previous", "Previous", show=False, tooltip="Select the previous message"
        ),
        Binding("home", "select_first", "First", show=False, tooltip="Select the first message"),
        Binding("end", "select_last", "Last", show=False, tooltip="Select the last message"),
    ]

    @property
    def selected(self) -> int | None:
        """The index (0-based; shown as #index+1) of the selected message, None before any."""
        return self._selected

    def select(self, index: int | None, *, scroll: bool = True) -> None:
        """Mark message ``index`` selected (None: none) and, by default, scroll it into view."""
        if index is not None and not 0 <= index < self.message_count:
            raise IndexError(f"no message {index}: there are {self.message_count}")
        self._selected = index
        for bubble in self._live:
            if bubble.has_class("-selected") != (bubble.index == index):
                bubble.set_class(bubble.index == index, "-selected")
                bubble.refresh()  # the ▶ marker is drawn by render()
        self._earlier.select(index)
        if index is not None and scroll:
            # A message added in this turn of the loop is mounted on the next one.
            self.call_after_refresh(self._show_selected, index)

    def on_screen(self) -> list[int]:
        """The indexes of the messages at least partly inside the viewport, in order."""
        top = round(self.scroll_y)
        bottom = top + self.scrollable_content_region.height
        shown: list[int] = []
        earlier = self._earlier
        if earlier.count:  # the archive's lines in view, by bisection: it may hold thousands
            base, height = earlier.virtual_region.y, earlier.virtual_region.height
            lines = range(max(top, base) - base, min(bottom, base + height) - base)
            first = next((i for y in lines[:2] if (i := earlier.index_at(y)) is not None), None)
            last = earlier.index_at(lines[-1]) if lines else None
            if first is not None and last is not None:
                shown.extend(range(first, last + 1))
        for bubble in self._live:
            region = bubble.virtual_region
            if region.height and region.y < bottom and region.bottom > top:
                shown.append(bubble.index)
        return shown

    # -- keys -----------------------------------------------------------------------------------

    def action_select_next(self) -> None:
        self._step(+1)

    def action_select_previous(self) -> None:
        self._step(-1)

    def action_select_first(self) -> None:
        if self.message_count:
            self.select(0)

    def action_select_last(self) -> None:
        if self.message_count:
            self.select(self.message_count - 1)

    def _step(self, delta: int) -> None:
        """One message on; from off screen (scrolled away) start at the edge of the view."""
        if not self.message_count:
            return
        shown = self.on_screen()
        current = self._selected
        if current is None or (shown and current not in shown):
            start = shown[0 if delta > 0 else -1] if shown else 0
            self.select(start)
            return
        self.select(max(0, min(self.message_count - 1, current + delta)))

    # -- the mouse --------------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        index = self.message_at(event.widget, event.screen_y)
        if index is not None:
            self.focus()
            self.select(index)

    def message_at(self, widget: Widget | None, screen_y: int) -> int | None:
        """The message drawn at ``screen_y`` in ``widget`` (a bubble, a child, the archive)."""
        node = widget
        while isinstance(node, Widget) and node is not self:
            if isinstance(node, MessageBubble):
                return node.index
            if isinstance(node, EarlierMessages):
                return node.index_at(screen_y - node.region.y)
            node = node.parent if isinstance(node.parent, Widget) else None
        return None

    # -- internals --------------------------------------------------------------------------------

    def _show_selected(self, index: int) -> None:
        if self._selected != index:
            return  # selected again since
        bubble = next((b for b in self._live if b.index == index), None)
        if bubble is not None:
            self.scroll_to_widget(bubble, animate=False, immediate=True)
            return
        span = self._earlier.span_of(index)
        if span is not None:
            top = self._earlier.virtual_region.y + span[0]
            region = Region(0, top, self.scrollable_content_region.width, span[1])
            self.scroll_to_region(region, animate=False, immediate=True)
