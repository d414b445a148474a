"""What a new user still hit trying issue 13 for real, each fixed: help folds Textual's own keys
everywhere, a real-time session is not "simulated", a scenario saved from a bot session says how
to check it against that bot, and the batch table tells its rows apart at any width."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from textual.widgets import DataTable

from channels.demo_bot import DemoBotServer
from convsim_core.batch import BatchSession
from tests.test_batch_helpers import plan_of, scripted_factory
from tests.test_connect_cli import run_cli, write_scenario
from tui.app import ConvsimApp
from tui.batch_dashboard import BatchDashboard, ConversationView, column_widths
from tui.cli import main
from tui.formatting import fit, fit_id
from tui.screens.help import HelpScreen
from tui.screens.transcript_screen import TranscriptScreen
from tui.testing import snapshot_settings, wait_until
from tui.widgets.selectable_transcript import SelectableTranscript
from tui.widgets.transcript import MessageBubble

GENERIC = ("Scroll Left", "Page Down", "Focus Next", "Copy selected text")


async def test_help_folds_scrolling_focus_and_copy_keys_away(demo_transcript: Path) -> None:
    settings = snapshot_settings()
    app = ConvsimApp(
        lambda app: TranscriptScreen(demo_transcript, settings=settings), settings=settings
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = str(app.screen.query_one("#help-keys").render())
        folded = str(app.screen.query_one("#help-generic").render())
        # The viewer's pane is a convsim subclass of Textual's scroll container, the screen a
        # convsim Screen: their inherited keys used to come first, before Branch and Review.
        assert [what for what in GENERIC if what in keys] == []
        assert [what for what in GENERIC if what not in folded] == []
        first = keys.splitlines()[0]
        assert "Select" in first or "Branch" in first or "Back" in first


async def test_a_bot_session_is_real_time_and_its_scenario_names_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = tmp_path / "session.jsonl"
    async with DemoBotServer() as bot:
        headless = ["--headless", "--out", str(session)]
        assert (
            await run_cli(["connect", str(write_scenario(tmp_path)), "--ws", bot.ws_url, *headless])
            == 0
        )
        lines = capsys.readouterr().out.splitlines()
        messages = [line for line in lines if line.startswith("Messages:")]
        assert messages and not messages[0].endswith("simulated")  # a bot answered in real time

        assert main(["show", str(session)]) == 0
        shown = capsys.readouterr().out
        assert "Messages:" in shown and "simulated" not in shown

        saved = tmp_path / "recorded.toml"
        assert main(["scenarios", "from-transcript", str(session), "--out", str(saved)]) == 0
        hint = capsys.readouterr().out.splitlines()[-1]
        quoted = shlex.quote(str(saved))
        assert hint == f"check it with: convsim test {quoted} --profile {quoted}"
        # The command it names passes: the scripted customer against the bot it was recorded with.
        command = shlex.split(hint.removeprefix("check it with: "))[1:]
        assert await run_cli([*command, "--runs", "1", "--out", str(tmp_path / "check")]) == 0


def test_a_simulated_run_still_says_simulated(
    demo_transcript: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", str(demo_transcript)]) == 0
    assert any(
        line.startswith("Messages:") and line.endswith("simulated")
        for line in capsys.readouterr().out.splitlines()
    )
    saved = demo_transcript.with_suffix(".toml")
    assert main(["scenarios", "from-transcript", str(demo_transcript)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"check it with: convsim test {saved}"


# -- the batch table ------------------------------------------------------------------------------


def test_ids_are_cut_in_the_middle_and_other_cells_with_an_ellipsis() -> None:
    ids = [f"damaged-item-refund-{n:04d}" for n in range(3)]
    cut = [fit_id(run_id, 22) for run_id in ids]
    assert cut == [f"damaged-item-ref…-{n:04d}" for n in range(3)]
    assert all(len(text) == 22 for text in cut) and len(set(cut)) == 3
    assert fit_id("refund-0001", 22) == "refund-0001"
    assert fit("participant finished", 14) == "participant f…"
    assert fit("closing phrase", 14) == "closing phrase"
    assert fit_id("averyveryverylongidwithoutanydash", 10) == "averyvery…"


def test_wider_terminals_widen_the_cut_columns_first() -> None:
    at_80 = column_widths(80, longest_id=24)
    assert at_80["conversation"] == 22 and sum(at_80.values()) + 2 * len(at_80) == 80
    at_120 = column_widths(120, longest_id=24)
    assert at_120["conversation"] == 24  # the whole id, then how it ended, then the outcome
    assert at_120["ended"] == len("participant finished") + 2
    assert sum(at_120.values()) + 2 * len(at_120) <= 120


def long_id_batch(folder: Path) -> BatchSession:
    return BatchSession(
        plan_of(["damaged-item-refund"], runs=3),
        {"damaged-item-refund": None},
        scripted_factory(),
        folder=folder,
        concurrency=3,
    )


async def test_the_dashboard_tells_rows_apart_at_80_and_uses_room_at_120(tmp_path: Path) -> None:
    session = long_id_batch(tmp_path)
    app = BatchDashboard(session, session.run)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: session.summary is not None)
        await pilot.pause(0.4)
        table = app.query_one(DataTable)
        shown = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert len(set(shown)) == 3 and all(
            text.endswith(("-0000", "-0001", "-0002")) for text in shown
        )
        table.move_cursor(row=2)
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        widest = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert sorted(widest) == sorted(session.executor.statuses)  # whole ids now
        assert table.cursor_row == 2  # the selection survived the new columns
        # The row view covers the table: sorting and filtering it are not offered there.
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationView))
        await pilot.pause()
        shown_keys = {b.binding.action for b in app.screen.active_bindings.values()}
        assert "sort" not in shown_keys and "failures" not in shown_keys
        assert "branch" in shown_keys and "review" in shown_keys  # the row view's own
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConversationView))
        assert {"sort", "failures"} <= {
            b.binding.action for b in app.screen.active_bindings.values()
        }


async def test_the_viewer_has_no_blank_rows_above_message_1_after_growing(
    demo_transcript: Path,
) -> None:
    settings = snapshot_settings()
    app = ConvsimApp(
        lambda app: TranscriptScreen(demo_transcript, settings=settings), settings=settings
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(SelectableTranscript)
        await pilot.press("end")  # selected and scrolled to the bottom
        await pilot.pause()
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.pause()
        await pilot.press("home")
        await pilot.pause()
        first = next(b for b in view.query(MessageBubble) if b.index == 0)
        assert view.scroll_y == 0 and first.region.y == view.region.y


# -- play: what the default (offline) judge listens for ------------------------------------------


async def test_play_shows_the_offline_judges_outcomes_not_no_judge(tmp_path: Path) -> None:
    import attrs

    from convsim_core.scenario import load_scenario
    from tui.app import play_screen
    from tui.widgets.agent_brief import AgentBrief

    example = Path(__file__).parent.parent / "examples" / "scenarios" / "damaged-item-refund.toml"
    scenario = load_scenario(example)
    assert scenario.judge.kind == "offline"  # the default, and every example's judge
    scenario = attrs.evolve(
        scenario, termination=attrs.evolve(scenario.termination, typing_delay=False)
    )
    settings = snapshot_settings(runs_root=tmp_path)
    app = ConvsimApp(
        lambda app: play_screen(scenario, seed=5, settings=settings), settings=settings
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = str(app.screen.query_one(AgentBrief).render())
    assert "No judge" not in text  # it said so, while the offline judge was judging
    assert "The judge listens for" in text
    assert 'refunded "full refund of" The customer got a full refund.' in text
    assert "abandoned" in text and '"give up"' in text


async def test_ctrl_q_asks_before_stopping_a_running_batch_too(tmp_path: Path) -> None:
    from tests.support.timeouts import MS
    from tui.screens.quit_batch import QuitBatchDialog

    session = BatchSession(
        plan_of(["refund"], runs=6),
        {"refund": None},
        scripted_factory(delay=200 * MS),
        folder=tmp_path,
        concurrency=2,
    )
    app = BatchDashboard(session, session.run)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: session.executor.counts.running == 2)
        await pilot.press("ctrl+q")  # Textual's own quit key: it used to stop the batch at once
        await wait_until(pilot, lambda: isinstance(app.screen, QuitBatchDialog))
        assert "--resume" in str(app.screen.query_one("#quit-text").render())
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, QuitBatchDialog))
        assert session.summary is None and app.is_running  # still running
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitBatchDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: session.summary is not None)
    assert app.return_value == 130


# -- the bot a session was held with: replay, connect --from and the viewer's Connect --------------


async def test_sessions_go_back_to_the_bot_they_were_held_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from convsim_core.persistence import read_transcript
    from tui.screens.branch_dialog import BranchDialog
    from tui.screens.run_screens import ConnectScreen
    from tui.widgets.live_run import LiveRun

    scenario = str(write_scenario(tmp_path))
    socketio, websocket = tmp_path / "socketio.jsonl", tmp_path / "ws.jsonl"
    async with DemoBotServer() as bot:
        for saved, where in (
            (socketio, ["--socketio", bot.url]),
            (websocket, ["--ws", bot.ws_url]),
        ):
            assert (
                await run_cli(["connect", scenario, *where, "--headless", "--out", str(saved)]) == 0
            )
        # Replay without bot options: a Socket.IO session was replayed over a WebSocket
        # ("preset 'rasa-socketio' is for socketio bots") and failed.
        assert await run_cli(["replay", str(socketio), "--fast", "--headless"]) == 0
        assert "Changed:    0 of" in capsys.readouterr().out

        # connect --from without a bot option goes on with the recorded bot.
        child = tmp_path / "child.jsonl"
        argv = ["connect", "--from", str(websocket), "--at", "3", "--headless", "--out", str(child)]
        assert await run_cli(argv) == 0
        header = read_transcript(child).header
        assert header["bot_url"] == bot.ws_url and header["branch_at"] == 3
        assert header["demo_bot"] is False

        # The viewer's Connect picks the same bot (it started the demo bot instead).
        settings = snapshot_settings(autostart=True, runs_root=tmp_path / "runs")
        app = ConvsimApp(
            lambda app: TranscriptScreen(websocket, settings=settings), settings=settings
        )
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("j", "j", "j", "b")
            await wait_until(pilot, lambda: isinstance(app.screen, BranchDialog))
            await pilot.click("#branch-connect")
            await wait_until(pilot, lambda: isinstance(app.screen, ConnectScreen))
            run = app.screen.query_one(LiveRun)
            await wait_until(pilot, lambda: run.transcript.message_count > 3, within=20)
            path = run.transcript_path
    assert path is not None
    branched = read_transcript(path).header
    assert branched["bot_url"] == bot.ws_url and branched["demo_bot"] is False
    assert branched["branched_from"] == str(websocket) and branched["branch_at"] == 3
