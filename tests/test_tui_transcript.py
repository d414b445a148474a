"""The transcript pane: order, Markdown, the live-widget cap, following and scrolling back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from textual.app import App
from textual.widget import Widget

from convsim_core.models import Message, ParticipantRole
from tui.testing import wait_until
from tui.widgets.transcript import (
    EarlierMessages,
    MessageBubble,
    TranscriptView,
    looks_like_markdown,
)

T0 = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


def chat(count: int, start: int = 0) -> list[Message]:
    return [
        Message(
            content=f"message number {i} " + "lorem ipsum " * (i % 5),
            timestamp=T0 + timedelta(seconds=7 * i),
            sender=ParticipantRole.CUSTOMER if i % 2 == 0 else ParticipantRole.AGENT,
        )
        for i in range(start, start + count)
    ]


class TranscriptApp(App[None]):
    def __init__(self, max_live: int = 10, archive_batch: int = 1) -> None:
        super().__init__()
        self.max_live = max_live
        self.archive_batch = archive_batch

    def compose(self) -> Iterable[Widget]:
        yield TranscriptView(max_live=self.max_live, archive_batch=self.archive_batch, tz=UTC)

    @property
    def view(self) -> TranscriptView:
        return self.query_one(TranscriptView)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Plain sentence, nothing special.", False),
        ("Costs $24.00 (refund 3-5 days).", False),
        ("This is **important**", True),
        ("Run `convsim demo`", True),
        ("Steps:\n- one\n- two", True),
        ("See [the docs](https://example.com)", True),
        ("# Heading", True),
        ("2 * 3 = 6 and 4 * 5", False),
    ],
)
def test_markdown_detection(text: str, expected: bool) -> None:
    assert looks_like_markdown(text) is expected


async def test_messages_keep_order_and_cap_mounted_widgets() -> None:
    app = TranscriptApp(max_live=10)
    async with app.run_test(size=(80, 24)) as pilot:
        messages = chat(35)
        for index, message in enumerate(messages):
            app.view.add_message(index, message)
            await pilot.pause()
        await wait_until(pilot, lambda: app.view.archived_count == 25)
        assert app.view.live_count == 10
        assert len(app.view.query(MessageBubble)) == 10
        assert [m for _, m in app.view.messages_shown()] == messages
        assert app.view.message_count == 35
        # The oldest live bubble is message 26 (index 25); 1-25 live in the compact archive.
        assert app.view.query(MessageBubble).first().index == 25


async def test_bubbles_are_archived_in_batches() -> None:
    app = TranscriptApp(max_live=10, archive_batch=5)
    async with app.run_test(size=(80, 24)) as pilot:
        for index, message in enumerate(chat(14)):
            app.view.add_message(index, message)
            await pilot.pause()
        await wait_until(pilot, lambda: app.view.live_count == 14)
        assert app.view.archived_count == 0  # below max_live + archive_batch
        app.view.add_message(14, chat(1, start=14)[0])
        await wait_until(pilot, lambda: app.view.archived_count == 5)
        assert app.view.live_count == 10
        assert [m for _, m in app.view.messages_shown()] == chat(15)


async def test_a_burst_is_archived_without_mounting_every_message() -> None:
    app = TranscriptApp(max_live=10)
    async with app.run_test(size=(80, 24)) as pilot:
        for index, message in enumerate(chat(500)):
            app.view.add_message(index, message)
        await wait_until(pilot, lambda: app.view.live_count == 10)
        mounted = [b.index for b in app.view.query(MessageBubble)]
        assert mounted == list(range(490, 500))
        assert app.view.archived_count == 490
        earlier = app.view.query_one(EarlierMessages)
        # Header line plus at least one line per archived message, rendered lazily by row.
        assert earlier.size.height >= 491


async def test_archived_messages_render_as_compact_lines() -> None:
    app = TranscriptApp(max_live=2)
    async with app.run_test(size=(60, 20)) as pilot:
        for index, message in enumerate(chat(4)):
            app.view.add_message(index, message)
        await wait_until(pilot, lambda: app.view.archived_count == 2)
        await pilot.pause()
        earlier = app.view.query_one(EarlierMessages)
        lines = [earlier.render_line(y).text for y in range(earlier.size.height)]
        assert "2 earlier messages" in lines[0]
        assert lines[1].startswith("09:30:00 Customer")
        assert any(line.startswith("09:30:07 Agent") for line in lines)
        # Re-wrapping at another width keeps every message.
        await pilot.resize_terminal(40, 20)
        await pilot.pause()
        narrow = [earlier.render_line(y).text for y in range(earlier.size.height)]
        assert len(narrow) >= len(lines)
        assert "".join(narrow).count("message number") == 2


async def test_markdown_is_rendered_not_shown_raw() -> None:
    app = TranscriptApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.view.add_message(0, Message("Your code is **ABC123**", T0, ParticipantRole.AGENT))
        await wait_until(pilot, lambda: app.view.live_count == 1)
        await pilot.pause()
        bubble = app.view.query_one(MessageBubble)
        text = "".join(bubble.render_line(y).text for y in range(bubble.size.height))
        assert "ABC123" in text
        assert "**" not in text
        assert "Agent" in text and "#1" in text and "09:30:00" in text


async def test_follows_new_messages_until_the_user_scrolls_up() -> None:
    app = TranscriptApp(max_live=30)
    async with app.run_test(size=(80, 20)) as pilot:
        for index, message in enumerate(chat(20)):
            app.view.add_message(index, message)
        await wait_until(pilot, lambda: app.view.is_anchored)
        await pilot.pause()
        view = app.view
        assert view.following
        assert view.scroll_y == view.max_scroll_y

        view.focus()
        await pilot.press("pageup")
        await pilot.pause()
        assert not view.following
        held = view.scroll_y
        for index, message in enumerate(chat(5, start=20), start=20):
            view.add_message(index, message)
        await wait_until(pilot, lambda: view.live_count == 25)
        await pilot.pause()
        assert view.scroll_y == held  # the reader's place is kept
        assert view.max_scroll_y > held

        await pilot.press("end")
        await pilot.pause()
        assert view.following
        view.add_message(25, chat(1, start=25)[0])
        await wait_until(pilot, lambda: view.live_count == 26)
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y


async def test_archiving_above_the_reader_keeps_their_place() -> None:
    app = TranscriptApp(max_live=20)
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.view
        for index, message in enumerate(chat(20)):
            view.add_message(index, message)
        await wait_until(pilot, lambda: view.is_anchored)
        await pilot.pause()
        view.focus()
        await pilot.press("pageup")
        await pilot.pause()
        top = next(b for b in view.query(MessageBubble) if b.virtual_region.bottom > view.scroll_y)
        offset = top.virtual_region.y - view.scroll_y
        assert top.index >= 4
        for index, message in enumerate(chat(4, start=20), start=20):
            view.add_message(index, message)  # retires 4 bubbles above the reader
        await wait_until(pilot, lambda: view.archived_count == 4)
        await pilot.pause()
        await pilot.pause()
        assert top.is_attached
        assert top.virtual_region.y - view.scroll_y == offset


async def test_clear_starts_over() -> None:
    app = TranscriptApp(max_live=3)
    async with app.run_test(size=(80, 24)) as pilot:
        for index, message in enumerate(chat(8)):
            app.view.add_message(index, message)
        await wait_until(pilot, lambda: app.view.archived_count == 5)
        app.view.clear()
        await pilot.pause()
        assert app.view.message_count == 0
        assert app.view.live_count == 0
        assert app.view.archived_count == 0
        assert not app.view.query(MessageBubble)
