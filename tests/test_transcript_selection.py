"""Selecting a message in the transcript viewer (keys, clicks, the archive) and branching after it.

"Branch from message #N" keeps #1..#N, exactly ``--from FILE --at N`` (messages 0..N-1).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from rich.console import Group
from rich.text import Text
from textual.app import App
from textual.containers import Vertical
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from convsim_core.batch import BatchSession
from convsim_core.persistence import read_transcript
from tests.test_batch_helpers import plan_of, scripted_factory
from tests.test_connect_cli import run_cli
from tests.test_tui_transcript import chat
from tui.app import ConvsimApp
from tui.batch_dashboard import BatchDashboard, ConversationView
from tui.screens.box_dialog import BoxDialog
from tui.screens.branch_dialog import BranchDialog
from tui.screens.help import HelpScreen
from tui.screens.quit_batch import QuitBatchDialog
from tui.screens.run_screens import PlayScreen, WatchScreen
from tui.screens.transcript_screen import TranscriptScreen
from tui.testing import snapshot_settings, wait_until
from tui.widgets.live_run import LiveRun
from tui.widgets.selectable_transcript import SelectableTranscript
from tui.widgets.transcript import EarlierMessages, MessageBubble


@pytest.fixture
def parent(demo_transcript: Path) -> Path:
    return demo_transcript


def said(messages: Iterable[object]) -> list[tuple[object, object]]:
    return [(m.sender, m.content) for m in messages]  # type: ignore[attr-defined]


def viewer(path: Path, runs: Path, **settings: object) -> ConvsimApp:
    view_settings = snapshot_settings(autostart=True, runs_root=runs, **settings)
    return ConvsimApp(
        lambda app: TranscriptScreen(path, settings=view_settings), settings=view_settings
    )


def selected_bubbles(view: SelectableTranscript) -> list[int]:
    return [b.index for b in view.query(MessageBubble) if b.has_class("-selected")]


@asynccontextmanager
async def viewing(
    path: Path, runs: Path, size: tuple[int, int]
) -> AsyncIterator[tuple[ConvsimApp, Pilot[Any], SelectableTranscript]]:
    """The viewer on ``path``, laid out, with its selectable pane."""
    app = viewer(path, runs)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        yield app, pilot, app.screen.query_one(SelectableTranscript)


async def press_b(app: App[Any], pilot: Pilot[Any]) -> BranchDialog:
    await pilot.press("b")
    await wait_until(pilot, lambda: isinstance(app.screen, BranchDialog))
    assert isinstance(app.screen, BranchDialog)
    return app.screen


class PaneApp(App[None]):
    """The selectable pane alone, with a small live window so older messages are archived."""

    def __init__(self, max_live: int) -> None:
        super().__init__()
        self.max_live = max_live

    def compose(self) -> Iterable[Widget]:
        yield SelectableTranscript(max_live=self.max_live, archive_batch=1, follow=False)

    @property
    def view(self) -> SelectableTranscript:
        return self.query_one(SelectableTranscript)


# -- the keyboard and the branch ---------------------------------------------------------------


async def test_select_message_3_with_the_keyboard_and_branch_after_it(
    parent: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with viewing(parent, tmp_path / "runs", (100, 30)) as (app, pilot, view):
        assert view.selected is None and selected_bubbles(view) == []  # nothing until asked
        await pilot.press("down")  # the first press selects the first message on screen
        assert view.selected == 0
        await pilot.press("j", "down", "k", "j")  # j/down forward, k back
        assert view.selected == 2 and selected_bubbles(view) == [2]
        dialog = await press_b(app, pilot)
        assert dialog.query_one(Input).value == "3"  # message #3, shown 1-based
        means = str(dialog.query_one("#branch-means", Static).render())
        assert "Keeps #1-#3, goes on after #3" in means and "enter 2" in means
        cli = str(dialog.query_one("#branch-cli", Static).render())
        assert cli == "On the command line: --from parent.jsonl --at 3"
        await pilot.press("enter")  # confirm: watch
        await wait_until(pilot, lambda: isinstance(app.screen, WatchScreen))
        run = app.screen.query_one(LiveRun)
        await wait_until(pilot, lambda: run.transcript.message_count > 3, within=30)
        path = run.transcript_path
    assert path is not None
    branched, original = read_transcript(path), read_transcript(parent)
    assert said(branched.messages[:3]) == said(original.messages[:3])  # messages 0..N-1
    assert len(branched.messages) > 3  # and it went on live
    assert branched.header["branched_from"] == str(parent)
    assert branched.header["branch_at"] == 3
    assert branched.header["seed"] == original.header["seed"]

    # The command line the dialog named records the same parent, branch point and history.
    child = tmp_path / "cli.jsonl"
    argv = ["watch", "--from", str(parent), "--at", "3", "--headless", "--out", str(child)]
    assert await run_cli(argv) == 0
    capsys.readouterr()
    by_cli = read_transcript(child)
    for key in ("branched_from", "branch_at", "seed", "scenario"):
        assert by_cli.header[key] == branched.header[key]
    assert said(by_cli.messages[:3]) == said(branched.messages[:3])


async def test_the_dialog_says_what_a_number_keeps_and_plays_from_it(
    parent: Path, tmp_path: Path
) -> None:
    async with viewing(parent, tmp_path / "runs", (80, 24)) as (app, pilot, view):
        view.select(5)
        dialog = await press_b(app, pilot)
        field = dialog.query_one(Input)
        field.value = "1"
        await pilot.pause()
        assert "Keeps #1, goes on after #1." in str(dialog.query_one("#branch-means").render())
        assert str(dialog.query_one("#branch-cli").render()).endswith("--at 1")
        field.value = "99"
        await pilot.pause()
        assert "from 1 to 14" in str(dialog.query_one("#branch-means").render())
        play = dialog.query_one("#branch-play", Button)
        await pilot.click(play)
        assert isinstance(app.screen, BranchDialog)  # refused: out of range
        field.value = "4"
        await wait_until(pilot, lambda: not play.has_class("-active"))  # the press effect
        await pilot.click("#branch-play")
        await wait_until(pilot, lambda: isinstance(app.screen, PlayScreen))
        run = app.screen.query_one(LiveRun)
        await wait_until(pilot, lambda: run.transcript.message_count >= 4)
        shown = [m for _, m in run.transcript.messages_shown()]
        assert said(shown[:4]) == said(read_transcript(parent).messages[:4])


async def test_b_without_a_selection_selects_the_last_message_on_screen(
    parent: Path, tmp_path: Path
) -> None:
    async with viewing(parent, tmp_path / "runs", (100, 30)) as (app, pilot, view):
        last_shown = view.on_screen()[-1]
        assert 0 < last_shown < 13  # the view starts at #1 and does not show all 14
        await press_b(app, pilot)
        assert view.selected == last_shown and selected_bubbles(view) == [last_shown]
        assert app.screen.query_one(Input).value == str(last_shown + 1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, TranscriptScreen))
        assert view.selected == last_shown  # cancelling keeps the selection


async def test_the_selection_is_scrolled_into_view_and_drawn_with_a_marker(
    parent: Path, tmp_path: Path
) -> None:
    async with viewing(parent, tmp_path / "runs", (80, 24)) as (_app, pilot, view):
        await pilot.press("end")
        await pilot.pause()
        assert view.selected == 13 and 13 in view.on_screen() and view.scroll_y > 0
        bubble = next(b for b in view.query(MessageBubble) if b.index == 13)
        label = bubble.render()
        assert isinstance(label, Group) and isinstance(label.renderables[0], Text)
        assert label.renderables[0].plain.startswith("▶ #14")
        await pilot.press("home")
        await pilot.pause()
        assert view.selected == 0 and view.scroll_y == 0
        # Scrolled away (page down) and back with a key: it starts from what is on screen.
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        shown = view.on_screen()
        assert 0 not in shown
        await pilot.press("j")
        assert view.selected == shown[0]


# -- the mouse -----------------------------------------------------------------------------------


async def test_a_click_selects_the_message_under_the_mouse(parent: Path, tmp_path: Path) -> None:
    async with viewing(parent, tmp_path / "runs", (100, 30)) as (app, pilot, view):
        fourth = next(b for b in view.query(MessageBubble) if b.index == 3)
        assert await pilot.click(fourth, offset=(4, 1))
        assert view.selected == 3 and selected_bubbles(view) == [3]
        second = next(b for b in view.query(MessageBubble) if b.index == 1)
        assert await pilot.click(second, offset=(10, 2))
        assert view.selected == 1 and selected_bubbles(view) == [1]
        await press_b(app, pilot)
        assert app.screen.query_one(Input).value == "2"


@asynccontextmanager
async def pane(max_live: int, count: int) -> AsyncIterator[tuple[Pilot[Any], SelectableTranscript]]:
    """The pane alone holding ``count`` messages, all but ``max_live`` of them archived."""
    app = PaneApp(max_live=max_live)
    async with app.run_test(size=(70, 20)) as pilot:
        app.view.load(chat(count))
        await wait_until(pilot, lambda: app.view.archived_count == max(0, count - max_live))
        await pilot.pause()
        yield pilot, app.view


def highlighted(earlier: EarlierMessages, y: int) -> bool:
    """Line ``y`` of the archive is drawn with the selection's background."""
    colour = earlier.get_component_rich_style("earlier-messages--selected").bgcolor
    assert colour is not None
    return any(s.style is not None and s.style.bgcolor == colour for s in earlier.render_line(y))


async def test_archived_messages_are_selected_and_clicked_too() -> None:
    async with pane(max_live=4, count=20) as (pilot, view):
        earlier = view.query_one(EarlierMessages)
        view.focus()
        await pilot.press("home")
        await pilot.pause()
        assert view.selected == 0 and view.scroll_y == 0
        first, lines = earlier.span_of(0) or (0, 0)
        assert highlighted(earlier, first)
        assert not highlighted(earlier, first + lines)  # the first line of message #2
        start, _count = earlier.span_of(2) or (0, 0)
        assert await pilot.click(earlier, offset=(3, start))
        assert view.selected == 2 and highlighted(earlier, start)
        # Stepping off the archive's last message goes on into the mounted bubbles.
        view.select(15)
        await pilot.pause()  # scrolled into view after the next refresh
        assert 15 in view.on_screen()
        await pilot.press("down")
        await pilot.pause()
        assert view.selected == 16 and selected_bubbles(view) == [16]
        assert earlier.span_of(16) is None  # not archived: a bubble
        with pytest.raises(IndexError):
            view.select(20)


async def test_a_selected_bubble_keeps_its_highlight_when_it_is_archived() -> None:
    async with pane(max_live=3, count=3) as (pilot, view):
        view.select(0)
        for index, message in enumerate(chat(3, start=3), start=3):
            view.add_message(index, message)
        await wait_until(pilot, lambda: view.archived_count == 3)
        await pilot.pause()
        earlier = view.query_one(EarlierMessages)
        first, _lines = earlier.span_of(0) or (0, 0)
        assert highlighted(earlier, first)
        assert not view.query(".-selected")


# -- help, the footer, the batch dashboard's row view --------------------------------------------


HELP_LINES = (
    "Select the next message",
    "Select the previous message",
    "Branch after the selected message: keep #1..#N (--at N)",
    "Review",
    "Save as a scenario",
)


async def test_help_and_the_footer_name_the_new_keys(parent: Path, tmp_path: Path) -> None:
    async with viewing(parent, tmp_path / "runs", (80, 24)) as (app, pilot, _view):
        footer = {b.binding.action for b in app.screen.active_bindings.values() if b.binding.show}
        assert {"select_next", "branch", "review", "save_scenario", "help"} <= footer
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = str(app.screen.query_one("#help-keys").render())
        assert [line for line in HELP_LINES if line not in keys] == []


def demo_batch(folder: Path) -> BatchSession:
    return BatchSession(
        plan_of(["demo"], runs=1), {"demo": None}, scripted_factory(), folder=folder, concurrency=1
    )


async def test_the_batch_row_view_selects_and_branches_too(tmp_path: Path) -> None:
    session = demo_batch(tmp_path / "batch")
    settings = snapshot_settings(autostart=True, runs_root=tmp_path / "runs")
    app = BatchDashboard(session, session.run, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: session.summary is not None)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationView))
        row = app.screen
        view = row.query_one(SelectableTranscript)
        await wait_until(pilot, lambda: view.message_count == 4)
        await pilot.pause()
        # The row view has the viewer's layout (the app stylesheet): the sidebar's title rule.
        assert row.query_one("#side").styles.width is not None
        assert row.query_one("#outcome").styles.border_top[0] == "solid"
        await pilot.press("j", "j", "j")
        assert view.selected == 2 and selected_bubbles(view) == [2]
        await press_b(app, pilot)
        assert app.screen.query_one(Input).value == "3"
        await pilot.press("enter")  # the dashboard opens the watch screen itself
        await wait_until(pilot, lambda: isinstance(app.screen, WatchScreen))
        run = app.screen.query_one(LiveRun)
        await wait_until(pilot, lambda: run.transcript.message_count >= 3)
        path = run.transcript_path
        await pilot.pause()
    assert path is not None and path.is_relative_to(tmp_path / "runs")
    header = read_transcript(path).header
    assert header["branched_from"] == str(session.folder / "demo-0000.jsonl")
    assert header["branch_at"] == 3


# -- the dialogs' shared box ----------------------------------------------------------------------


class DialogApp(App[None]):
    def __init__(self, dialog: BoxDialog[Any]) -> None:
        super().__init__()
        self.dialog = dialog

    def on_mount(self) -> None:
        self.push_screen(self.dialog)


@pytest.mark.parametrize(
    ("make", "colour", "width"),
    [
        (lambda: BranchDialog(14, 3), "accent", 64),
        (lambda: QuitBatchDialog(1, 4, "convsim batch --resume --out runs/b"), "warning", 70),
    ],
)
async def test_every_dialog_keeps_its_box_from_the_shared_base(
    make: Callable[[], BoxDialog[Any]], colour: str, width: int
) -> None:
    app = DialogApp(make())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        box = app.screen.query_one(Vertical)
        assert box.outer_size.width == width
        kind, color = box.styles.border_top
        assert kind == "round" and color.hex == app.theme_variables[colour].upper()[:7]
        assert app.screen.styles.align == ("center", "middle")
        assert box.region.x > 0  # centred
        assert app.screen.query(Button)
