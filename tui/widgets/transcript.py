"""The transcript pane: chat bubbles that stay fast however long the conversation gets.

Appending must cost the same at message 5,000 as at message 10, so only the newest
``max_live`` messages are real widgets (``MessageBubble``, Markdown rendered). Older messages
move into one :class:`EarlierMessages` widget that keeps them as pre-wrapped lines and renders
only the rows on screen (Textual's Line API), so the whole history stays scrollable while the
number of widgets the layout has to visit stays constant.

The container uses ``layout: stream`` and ``anchor()``: it follows new messages until the user
scrolls up, and follows again once they scroll back to the bottom (``end`` jumps there).

One message can be marked selected (``select``; the transcript viewer's keys and clicks drive it,
``tui/widgets/selectable_transcript.py``): a bubble gets the ``-selected`` class, an archived
line its highlight, whichever of the two holds the message at the time.

Over 400 lines on purpose: the live bubbles and the pre-wrapped history must agree line for line
on wrapping and styling, so they are kept side by side.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import tzinfo

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.segment import Segment
from rich.text import Text
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from convsim_core.models import Message, ParticipantRole
from convsim_core.textsafe import printable
from tui.formatting import format_clock, role_label

DEFAULT_MAX_LIVE = 24
"""Message widgets kept mounted (24 to 40 with batching): a few screens of full bubbles.

Measured with ``benchmarks/bench_tui.py``: each mounted bubble adds layout work to every
frame, and 24 keeps appends well under 10 ms at 120x40 however long the chat gets.
"""
DEFAULT_ARCHIVE_BATCH = 12
"""Bubbles are archived this many at a time: most appends then only mount one widget."""

_MARKDOWN_HINT = re.compile(
    r"(\*\*|__|`|~~|^\s{0,3}(?:[-*+]|\d+[.)])\s|^\s{0,3}#{1,6}\s|^\s{0,3}>|\[[^\]\n]+\]\([^)\n]+\)"
    r"|(?<![\w*])\*[^*\s][^*\n]*\*(?![\w*]))",
    re.MULTILINE,
)


def looks_like_markdown(text: str) -> bool:
    """Cheap test so plain sentences skip the Markdown parser (most chat lines are plain)."""
    return _MARKDOWN_HINT.search(text) is not None


def message_body(content: str) -> RenderableType:
    """A message's text, Markdown rendered when it uses Markdown."""
    content = printable(content)
    if looks_like_markdown(content):
        return Markdown(content)
    return Text(content)


class MessageBubble(Widget):
    """One chat message: a role/time label over the Markdown-rendered text.

    Customer bubbles hang on the left, agent bubbles on the right, each in its own colour.
    """

    COMPONENT_CLASSES = {
        "message-bubble--label",
        "message-bubble--meta",
        "message-bubble--marker",
    }

    DEFAULT_CSS = """
    MessageBubble {
        height: auto;
        padding: 0 1;
        & > .message-bubble--meta { color: $text-muted; }
        & > .message-bubble--marker { color: $text-accent; text-style: bold; }
    }
    MessageBubble.customer {
        margin: 0 6 1 0;
        border-left: wide $primary;
        background: $primary 10%;
        & > .message-bubble--label { color: $text-primary; text-style: bold; }
    }
    MessageBubble.agent {
        margin: 0 0 1 6;
        border-right: outer $success;
        background: $success 8%;
        & > .message-bubble--label { color: $text-success; text-style: bold; }
    }
    MessageBubble.-selected { background: $block-cursor-blurred-background; }
    MessageBubble.customer.-selected { border-left: wide $accent; }
    MessageBubble.agent.-selected { border-right: outer $accent; }
    """

    def __init__(self, index: int, message: Message, *, tz: tzinfo | None = None) -> None:
        super().__init__(classes=message.sender.value)
        self.index = index
        self.message = message
        self._tz = tz
        self._body = message_body(message.display_text())

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # The stream layout measures children at the full width, then places them inside their
        # left/right margins; measure at the width the bubble really gets so no line is cut.
        layout = self.parent.styles.layout if isinstance(self.parent, Widget) else None
        if layout is not None and layout.name == "stream":
            margin = self.styles.margin
            width = max(1, width - margin.left - margin.right)
        return super().get_content_height(container, viewport, width)

    def render(self) -> RenderableType:
        label_style = self.get_component_rich_style("message-bubble--label")
        meta_style = self.get_component_rich_style("message-bubble--meta")
        name = Text(role_label(self.message.sender), style=label_style)
        by = " · by a person" if self.message.author == "person" else ""
        meta = Text(
            f"#{self.index + 1} · {format_clock(self.message.timestamp, self._tz)}{by}",
            style=meta_style,
        )
        if self.has_class("-selected"):  # not by colour alone
            marker = self.get_component_rich_style("message-bubble--marker")
            meta = Text.assemble(Text("▶ ", style=marker), meta)
        if self.message.sender is ParticipantRole.CUSTOMER:
            label = Text.assemble(name, "  ", meta)
        else:
            label = Text.assemble(meta, "  ", name, justify="right")
        return Group(label, self._body)


class EarlierMessages(Widget):
    """Messages scrolled out of the live window, as compact wrapped lines (no Markdown).

    Only line counts are kept per message; the lines themselves are rendered when they scroll
    into view (a few screens are cached), so 5,000 archived messages cost 5,000 small ints
    rather than tens of thousands of rendered strips for the garbage collector to walk.
    """

    COMPONENT_CLASSES = {
        "earlier-messages--customer",
        "earlier-messages--agent",
        "earlier-messages--meta",
        "earlier-messages--selected",
    }

    DEFAULT_CSS = """
    EarlierMessages {
        height: auto;
        margin: 0 0 1 0;
        display: none;
        & > .earlier-messages--customer { color: $text-primary; text-style: bold; }
        & > .earlier-messages--agent { color: $text-success; text-style: bold; }
        & > .earlier-messages--meta { color: $text-muted; }
        & > .earlier-messages--selected { background: $block-cursor-blurred-background; }
    }
    EarlierMessages.-has-messages { display: block; }
    """

    _PREFIX = 19  # "12:00:20 Customer  "
    _CACHED_ENTRIES = 256

    def __init__(self, *, tz: tzinfo | None = None) -> None:
        super().__init__()
        self._tz = tz
        self._entries: list[tuple[int, Message]] = []
        self._starts: list[int] = []
        """First line of each entry (line 0 is the header)."""
        self._total = 0
        self._width = 0
        self._cache: dict[int, list[Strip]] = {}
        self._selected: int | None = None
        """The entry (position in ``_entries``) drawn highlighted."""

    @property
    def count(self) -> int:
        return len(self._entries)

    def position_of(self, index: int) -> int | None:
        """Where message ``index`` is among the archived entries (None: not archived)."""
        position = bisect_right(self._entries, index, key=lambda entry: entry[0]) - 1
        if 0 <= position < len(self._entries) and self._entries[position][0] == index:
            return position
        return None

    def span_of(self, index: int) -> tuple[int, int] | None:
        """The first line and the line count of archived message ``index`` (None: not here)."""
        position = self.position_of(index)
        if position is None or position >= len(self._starts):
            return None
        end = self._starts[position + 1] if position + 1 < len(self._starts) else self._total
        return self._starts[position], end - self._starts[position]

    def index_at(self, y: int) -> int | None:
        """The message drawn on line ``y`` (None: the header line or below the last one)."""
        position = bisect_right(self._starts, y) - 1
        if not 0 < y < self._total or not 0 <= position < len(self._entries):
            return None
        return self._entries[position][0]

    def select(self, index: int | None) -> None:
        """Highlight archived message ``index`` (None, or a message not archived: none)."""
        position = None if index is None else self.position_of(index)
        if position != self._selected:
            self._selected = position
            self.refresh()

    @property
    def entries(self) -> tuple[tuple[int, Message], ...]:
        return tuple(self._entries)

    def add(self, entries: Sequence[tuple[int, Message]]) -> None:
        if not entries:
            return
        self._entries.extend(entries)
        if self._width:
            self._measure(len(self._entries) - len(entries))
        self._cache.pop(-1, None)  # the header counts the messages
        self.set_class(True, "-has-messages")
        self.refresh(layout=True)

    def clear(self) -> None:
        self._entries.clear()
        self._starts.clear()
        self._cache.clear()
        self._total = 0
        self._selected = None
        self.set_class(False, "-has-messages")
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width != self._width:
            self._width = width
            self._cache.clear()
            self._starts.clear()
            self._total = 0
            self._measure(0)
        return self._total

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.rich_style
        if y == 0 and self._entries:
            line = self._lines(-1)[0]
        else:
            entry = bisect_right(self._starts, y) - 1
            lines = self._lines(entry) if 0 <= entry < len(self._entries) else []
            offset = y - self._starts[entry] if lines else 0
            if offset >= len(lines):
                return Strip.blank(width, style)
            line = lines[offset]
            if entry == self._selected:
                style = style + self.get_component_rich_style("earlier-messages--selected")
        return line.adjust_cell_length(width).apply_style(style)

    def notify_style_update(self) -> None:
        # Theme change: colours are baked into the cached lines.
        super().notify_style_update()
        self._cache.clear()

    # -- measuring and rendering -----------------------------------------------------------

    def _measure(self, first: int) -> None:
        """Line counts (and start lines) for entries from ``first`` on, at the current width."""
        if not self._entries or self._width <= 0:
            self._total = 0
            return
        total = self._total or 1  # the header line
        wrap_width = self._wrap_width(self._width)
        console = self.app.console
        for _index, message in self._entries[first:]:
            self._starts.append(total)
            lines = len(Text(printable(message.display_text())).wrap(console, wrap_width))
            total += lines + (0 if self._hanging(self._width) else 1)
        self._total = total

    def _hanging(self, width: int) -> int:
        return self._PREFIX if width - self._PREFIX >= 16 else 0

    def _wrap_width(self, width: int) -> int:
        return max(1, width - self._hanging(width))

    def _lines(self, entry: int) -> list[Strip]:
        """The rendered lines of one entry (``-1``: the header), from a small cache."""
        cached = self._cache.get(entry)
        if cached is not None:
            return cached
        if len(self._cache) >= self._CACHED_ENTRIES:
            self._cache.clear()
        lines = self._header() if entry < 0 else self._entry_lines(self._entries[entry][1])
        self._cache[entry] = lines
        return lines

    def _header(self) -> list[Strip]:
        count = len(self._entries)
        noun = "message" if count == 1 else "messages"
        text = Text(
            f"⋯ {count:,} earlier {noun} (compact view) ⋯",
            style=self.get_component_rich_style("earlier-messages--meta"),
            justify="center",
        )
        console = self.app.console
        rendered = console.render_lines(text, console.options.update_width(self._width), pad=False)
        return [Strip(rendered[0] if rendered else [])]

    def _entry_lines(self, message: Message) -> list[Strip]:
        console = self.app.console
        width = self._width
        meta = self.get_component_rich_style("earlier-messages--meta")
        role_style = self.get_component_rich_style(
            "earlier-messages--customer"
            if message.sender is ParticipantRole.CUSTOMER
            else "earlier-messages--agent"
        )
        clock = Text(format_clock(message.timestamp, self._tz) + " ", style=meta)
        name = Text(f"{role_label(message.sender):<10}", style=role_style)
        prefix = Text.assemble(clock, name)
        hanging = self._hanging(width)
        lines: list[Strip] = []
        if not hanging:
            lines.append(Strip(list(prefix.render(console))))
        indent = [Segment(" " * hanging)]
        wrapped = Text(printable(message.display_text())).wrap(console, self._wrap_width(width))
        for number, line in enumerate(wrapped):
            segments = list(line.render(console))
            if hanging:
                head = list(prefix.render(console)) if number == 0 else indent
                segments = head + segments
            lines.append(Strip(segments))
        return lines


class TranscriptView(VerticalScroll):
    """The conversation so far; follows new messages unless the user has scrolled up."""

    DEFAULT_CSS = """
    TranscriptView {
        layout: stream;
        padding: 0 1;
        scrollbar-gutter: stable;
    }
    """

    def __init__(
        self,
        *,
        max_live: int = DEFAULT_MAX_LIVE,
        tz: tzinfo | None = None,
        follow: bool = True,
        archive_batch: int = DEFAULT_ARCHIVE_BATCH,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        if max_live < 1:
            raise ValueError("max_live must be at least 1")
        self.max_live = max_live
        self.archive_batch = max(1, archive_batch)
        self.follow = follow
        """Scroll along with new messages (live runs); off for read-only transcripts."""
        self._tz = tz
        self._earlier = EarlierMessages(tz=tz)
        self._live: list[MessageBubble] = []
        self._pending: list[tuple[int, Message]] = []
        self._flush_scheduled = False
        self._count = 0
        self._selected: int | None = None
        """The selected message's index; only the viewer's subclass selects."""

    def compose(self) -> Iterable[Widget]:
        yield self._earlier

    def on_mount(self) -> None:
        self.anchor(False)

    def on_resize(self) -> None:
        # Textual 8's compositor sets an anchored widget's scroll offset to "content bottom
        # minus height" unvalidated: once the terminal grows past the content it goes negative,
        # blank rows above message #1 that stayed. Drop the anchor while everything fits (it
        # comes back when the content overflows again, as on the first overflow).
        self.call_after_refresh(self._unanchor_when_it_fits)

    def _unanchor_when_it_fits(self) -> None:
        if self.is_anchored and self.max_scroll_y <= 0 and self.following:
            self.anchor(False)
            self.set_scroll(None, 0)
            self.refresh(layout=True)

    # -- public API -------------------------------------------------------------------------

    @property
    def message_count(self) -> int:
        """Messages added so far (mounted, archived and pending)."""
        return self._count

    @property
    def live_count(self) -> int:
        return len(self._live)

    @property
    def archived_count(self) -> int:
        return self._earlier.count

    @property
    def following(self) -> bool:
        """True while new messages scroll into view (the user has not scrolled away)."""
        if not self.is_anchored:
            return self.max_scroll_y <= 0
        # Textual keeps "the user scrolled away from the anchor" private; pinned to 8.x.
        return not getattr(self, "_anchor_released", False)

    def add_message(self, index: int, message: Message) -> None:
        """Queue a message; bursts are mounted together on the next turn of the loop."""
        self._pending.append((index, message))
        self._count += 1
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.call_later(self._flush)

    def load(self, messages: Sequence[Message]) -> None:
        """Show a whole conversation at once (read-only transcripts)."""
        for index, message in enumerate(messages):
            self.add_message(index, message)

    def clear(self) -> None:
        self._pending.clear()
        self._count = 0
        self._selected = None
        live, self._live = self._live, []
        if live:
            self.remove_children(live)
        self._earlier.clear()
        self.anchor(False)
        self.scroll_home(animate=False, immediate=True)

    def messages_shown(self) -> list[tuple[int, Message]]:
        """Every message in order (archived first), for tests and exports."""
        earlier = list(self._earlier.entries)
        return earlier + [(b.index, b.message) for b in self._live] + list(self._pending)

    # -- internals --------------------------------------------------------------------------

    def _flush(self) -> None:
        self._flush_scheduled = False
        pending, self._pending = self._pending, []
        if not pending:
            return
        # A burst longer than the live window goes straight to the archive, never mounted.
        direct, fresh = pending[: -self.max_live], pending[-self.max_live :]
        total = len(self._live) + len(fresh)
        # Up to max_live + archive_batch bubbles stay; then the oldest go in one batch.
        excess = total - self.max_live if total >= self.max_live + self.archive_batch else 0
        retired, self._live = self._live[:excess], self._live[excess:]
        if retired and not self.following:
            self._hold_position(retired)
        self._earlier.add([(b.index, b.message) for b in retired] + direct)
        if retired:
            self.remove_children(retired)
        bubbles = [MessageBubble(index, message, tz=self._tz) for index, message in fresh]
        if self._selected is not None:  # the viewer's selection moves with it (live runs: none)
            self._earlier.select(self._selected)
            for bubble in bubbles:
                bubble.set_class(bubble.index == self._selected, "-selected")
        self._live.extend(bubbles)
        self.mount_all(bubbles)
        if self.follow and not self.is_anchored:
            self.call_after_refresh(self._anchor_on_overflow)

    def _anchor_on_overflow(self) -> None:
        # Anchored containers align short content to the bottom; a transcript reads from the
        # top, so follow new messages only once they no longer fit.
        if not self.is_anchored and self.max_scroll_y > 0:
            self.anchor()

    def _hold_position(self, retired: Sequence[MessageBubble]) -> None:
        """Keep what the reader is looking at in place while bubbles above it are archived."""
        gone = set(retired)
        top = self.scroll_y
        keep = next(
            (b for b in self._live if b not in gone and b.virtual_region.bottom > top), None
        )
        if keep is None:
            return
        offset = keep.virtual_region.y - top

        def restore() -> None:
            if keep.is_attached:
                self.scroll_to(y=keep.virtual_region.y - offset, animate=False, immediate=True)

        self.call_after_refresh(restore)
