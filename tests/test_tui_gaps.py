"""The gaps a new user hit (issue 13, item 6): one test each, driven through the real app."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import attrs
import pytest
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Footer, Input

from convsim_core.models import ConversationResult, Judgement, Message, ParticipantRole
from convsim_core.scenario import builtin_scenario
from convsim_core.scenario_models import Scenario
from tests.support.timeouts import MS, TIMEOUT
from tui.app import ConvsimApp, pace_for, play_screen
from tui.export import PERSON, save_transcript
from tui.pace import Pace
from tui.screens.dialogs import OUTCOME_HELP, OutcomeDialog, SaveDialog
from tui.screens.help import HelpScreen
from tui.screens.run_screens import WatchScreen
from tui.screens.start import StartScreen
from tui.testing import BASE_TIMESTAMP, scripted_source, snapshot_settings, wait_until
from tui.widgets.agent_brief import AgentBrief
from tui.widgets.composer import Composer
from tui.widgets.live_run import LiveRun
from tui.widgets.outcome_panel import OutcomePanel
from tui.widgets.progress_panel import ProgressPanel
from tui.widgets.transcript import MessageBubble


def quick_demo() -> Scenario:
    scenario = builtin_scenario("demo")
    termination = attrs.evolve(scenario.termination, typing_delay=False, settle_seconds=50 * MS)
    return attrs.evolve(scenario, termination=termination)


def play_app(tmp_path: Path) -> ConvsimApp:
    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    return ConvsimApp(
        lambda app: play_screen(quick_demo(), seed=7, settings=settings), settings=settings
    )


def watch_app(pace: Pace, **settings: Any) -> ConvsimApp:
    view = snapshot_settings(autostart=True, **settings)
    return ConvsimApp(
        lambda app: WatchScreen(scripted_source(), seed=7, settings=view, pace=pace),
        settings=view,
    )


def live(app: ConvsimApp) -> LiveRun:
    return app.screen.query_one(LiveRun)


def screen_line(app: App[Any], y: int) -> str:
    strips = app.screen._compositor.render_strips()
    return "".join(segment.text for segment in strips[y])


async def chat_open(pilot: Pilot[Any]) -> Composer:
    app = pilot.app
    run = app.screen.query_one(LiveRun)
    await wait_until(pilot, lambda: run.transcript.message_count == 1)
    composer = app.screen.query_one(Composer)
    await wait_until(pilot, lambda: not composer.text_area.read_only)
    return composer


# -- play -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_composer_hint_is_above_the_footer(tmp_path: Path, size: tuple[int, int]) -> None:
    app = play_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await chat_open(pilot)
        await pilot.pause()
        hint = app.screen.query_one("#composer-hint")
        footer = app.screen.query_one(Footer)
        assert hint.region.bottom <= footer.region.y
        assert "ctrl+s send" in screen_line(app, hint.region.y)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_end_dialog_instruction_line_is_whole(size: tuple[int, int]) -> None:
    from textual.app import App

    class DialogApp(App[None]):
        def on_mount(self) -> None:
            outcomes = builtin_scenario("demo").outcomes
            self.push_screen(OutcomeDialog(outcomes, Judgement(None, "nothing yet")))

    app = DialogApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        help_line = app.screen.query_one("#outcome-help")
        assert len(OUTCOME_HELP) <= help_line.content_region.width
        assert OUTCOME_HELP in screen_line(app, help_line.region.y)


async def test_ctrl_s_arriving_with_the_typed_text_sends_it(tmp_path: Path) -> None:
    app = play_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        composer = await chat_open(pilot)
        run = live(app)
        # One burst, as a terminal delivers fast typing: the send key must not overtake it.
        for key, character in (("h", "h"), ("i", "i"), ("ctrl+s", None)):
            app.post_message(events.Key(key, character))
        await wait_until(pilot, lambda: run.transcript.message_count >= 2, within=TIMEOUT * 3)
        shown = [m for _, m in run.transcript.messages_shown()]
        assert shown[1].sender is ParticipantRole.AGENT and shown[1].content == "hi"
        assert composer.text == ""


async def test_the_person_playing_the_agent_sees_its_facts_and_the_judges_cues(
    tmp_path: Path,
) -> None:
    app = play_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await chat_open(pilot)
        text = str(app.screen.query_one(AgentBrief).render())
        for fact in ("$24.00", "the Visa ending in 4417", "3 to 5 business days"):
            assert fact in text
        assert "resolved" in text and '"has been refunded"' in text


async def test_an_override_to_an_outcome_never_says_no_outcome_reached() -> None:
    app = watch_app(Pace(paced=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one(OutcomePanel)
        conversation = live(app).source.info
        result = ConversationResult(
            conversation=attrs.evolve(
                __import__("convsim_core.models", fromlist=["Conversation"]).Conversation(()),
                outcome=conversation.outcomes.get_outcome_by_name("escalated"),
            ),
            judgement=Judgement(None, "no outcome yet"),
        )
        panel.set_result(result)
        panel.set_override("escalated")
        await pilot.pause()
        text = str(panel.render())
        assert "Set by you" in text
        assert "No outcome reached" not in text


# -- watch ----------------------------------------------------------------------------------------


async def test_growing_the_terminal_leaves_no_blank_rows_above_message_one() -> None:
    app = watch_app(Pace(paced=False))
    async with app.run_test(size=(80, 24)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "done")
        await pilot.pause()
        assert run.transcript.max_scroll_y > 0  # overflowing and following at 80x24
        await pilot.resize_terminal(120, 40)
        await pilot.pause(300 * MS)
        first = run.transcript.query(MessageBubble).first()
        assert run.transcript.scroll_y >= 0
        if run.transcript.max_scroll_y <= 0:
            assert first.region.y == run.transcript.region.y  # message #1 at the top


async def test_speed_is_honoured_and_fastest_does_not_carry_over_to_a_restart() -> None:
    pace = pace_for("watch", 3.0)
    assert pace.speed == 3.0
    app = watch_app(attrs.evolve(pace, start_paused=True))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "paused")
        panel = app.screen.query_one(ProgressPanel)
        assert "typing x3" in str(panel.query_one("#progress-stats").render())
        await pilot.press("f")
        assert run.pacer is not None and run.pacer.speed is None  # fastest
        await pilot.press("r")
        await wait_until(pilot, lambda: run.status == "paused")
        assert run.paced and run.pacer is not None and run.pacer.speed == 3.0


def test_the_watch_command_hands_speed_to_the_ui(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import tui.app
    from tui.commands import watch

    seen: dict[str, Any] = {}

    def fake_app(scenario: Scenario, **kwargs: Any) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setattr(tui.app, "run_watch_app", fake_app)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    args = argparse.Namespace(out=None, speed=2.5, seed=None)
    assert watch._open_ui(builtin_scenario("demo"), args, "watch") == 0
    assert seen["speed"] == 2.5


async def test_the_ui_says_where_the_transcript_is(tmp_path: Path) -> None:
    from convsim_core.scenario import builtin_scenario as load
    from tui.app import watch_screen

    settings = snapshot_settings(autostart=True, runs_root=tmp_path, show_transcript_path=True)
    app = ConvsimApp(
        lambda app: watch_screen(load("demo"), seed=7, settings=settings, pace=Pace(paced=False)),
        settings=settings,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "done")
        path = run.transcript_path
        assert path is not None and path.exists()
        stats = str(app.screen.query_one("#progress-stats").render())
        assert "Saved to" in stats and path.name in stats.replace("\n", "")
        assert any(path.name in n.message.replace("\n", "") for n in app._notifications)


async def test_save_asks_before_overwriting(tmp_path: Path) -> None:
    target = tmp_path / "keep.jsonl"
    target.write_text("precious\n")
    app = watch_app(Pace(paced=False))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "done")
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SaveDialog))
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaveDialog)  # warned, not saved
        assert "exists" in str(app.screen.query_one("#save-warning").render())
        assert target.read_text() == "precious\n"
        await pilot.press("enter")  # again: replace
        await wait_until(pilot, lambda: isinstance(app.screen, WatchScreen))
        await wait_until(pilot, lambda: target.read_text() != "precious\n")


async def test_play_labels_real_time_without_sim(tmp_path: Path) -> None:
    app = play_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await chat_open(pilot)
        stats = str(app.screen.query_one("#progress-stats").render())
        assert "sim" not in stats and "Elapsed" in stats
        assert "real time" in stats


async def test_the_footer_quit_key_fits_80_columns(tmp_path: Path) -> None:
    # Opened from the start screen, the watch footer also has "esc Back": the longest one.
    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    app = ConvsimApp(lambda app: StartScreen(tmp_path, settings=settings), settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(WatchScreen(scripted_source(), seed=7, settings=settings, pace=Pace()))
        await wait_until(pilot, lambda: isinstance(app.screen, WatchScreen))
        await wait_until(pilot, lambda: live(app).status in ("running", "done"))
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        line = screen_line(app, footer.region.y)
        assert "esc Back" in line and "q Quit" in line


async def test_help_lists_the_app_keys_first_and_folds_the_editing_keys(tmp_path: Path) -> None:
    app = play_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await chat_open(pilot)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = str(app.screen.query_one("#help-keys").render()).splitlines()
        assert "Send" in keys[0] or "send" in keys[0].lower()
        assert len([line for line in keys if line.strip()]) < 12
        folded = app.screen.query_one("#help-generic-box")
        assert folded.collapsed  # type: ignore[attr-defined]
        assert "Text editing keys" in folded.title  # type: ignore[attr-defined]


# -- show -----------------------------------------------------------------------------------------


def test_show_names_a_person_and_their_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.cli import main

    scenario = builtin_scenario("demo")
    messages = [
        Message("Hi, I was charged twice.", BASE_TIMESTAMP, ParticipantRole.CUSTOMER),
        Message("Let me pass you to a supervisor.", BASE_TIMESTAMP, ParticipantRole.AGENT),
    ]
    from convsim_core.models import Conversation

    escalated = scenario.outcomes.get_outcome_by_name("escalated")
    result = ConversationResult(
        conversation=Conversation(messages, outcome=escalated),
        judgement=Judgement(None, "no outcome yet"),
        outcome_overridden_by=PERSON,
    )
    path = save_transcript(
        tmp_path / "played.jsonl",
        recorded=None,
        header={
            "scenario": "demo",
            "seed": 7,
            "runner": "HybridSimulationRunner",
            "customer_kind": "offline",
            "agent_kind": "person",
            "mode": "play",
        },
        messages=messages,
        result=result,
    )
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "HybridSimulationRunner" not in out and "agent real" not in out
    assert "agent a person (play)" in out
    assert "Outcome:    escalated" in out
    assert "Set by:     a person (the judge said none)" in out


# -- start screen ---------------------------------------------------------------------------------


async def test_start_screen_warns_when_the_scenario_folder_does_not_exist(tmp_path: Path) -> None:
    settings = snapshot_settings(runs_root=tmp_path)
    missing = tmp_path / "no-such-folder"
    app = ConvsimApp(lambda app: StartScreen(missing, settings=settings), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        scenario_list = app.screen.query_one("#scenario-list")
        assert "does not exist" in str(scenario_list.border_subtitle)
        assert any("does not exist" in n.message for n in app._notifications)


def test_recent_runs_show_mode_and_status(tmp_path: Path) -> None:
    import json

    from tui.recent import list_recent

    folder = tmp_path / "demo"
    folder.mkdir()
    header = {"schema_version": 1, "type": "header", "scenario": "demo", "seed": 7}
    rows: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
        "played": (
            {"runner": "HybridSimulationRunner", "channel": "TerminalChannel"},
            {"termination_reason": "participant_finished", "error": None},
        ),
        "connected": (
            {"runner": "HybridSimulationRunner", "mode": "connect"},
            {"termination_reason": "channel_error", "error": "lost the bot"},
        ),
        "watched": ({"runner": "FullSimulationRunner"}, None),
    }
    for name, (extra, result) in rows.items():
        lines = [json.dumps({**header, **extra, "started_at": "2025-03-04T09:30:00"})]
        if result is not None:
            lines.append(json.dumps({"schema_version": 1, "type": "result", **result}))
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
    described = {run.path.stem: run.describe() for run in list_recent(tmp_path)}
    assert described["played"].split()[2] == "play" and "done" not in described["played"]
    assert "connect" in described["connected"] and "error" in described["connected"]
    assert "watch" in described["watched"] and "partial" in described["watched"]


async def test_start_screen_connects_to_a_typed_bot_url(tmp_path: Path) -> None:
    from channels.demo_bot import DemoBotServer
    from tui.screens.run_screens import ConnectScreen
    from tui.sources.connect import ConnectRunSource

    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    async with DemoBotServer() as bot:
        app = ConvsimApp(lambda app: StartScreen(tmp_path, settings=settings), settings=settings)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("b")
            assert app.focused is app.screen.query_one("#bot-input")
            await pilot.press(*f"{bot.ws_url} demo-ws")
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConnectScreen))
            screen = app.screen
            assert isinstance(screen, ConnectScreen)
            source = screen.source
            assert isinstance(source, ConnectRunSource) and not source.demo_bot
            assert source.profile.url == bot.ws_url and source.profile.preset == "demo-ws"
            run = live(app)
            await wait_until(pilot, lambda: run.status in ("done", "error"), within=TIMEOUT * 6)
            assert run.status == "done", run.last_error


async def test_the_play_footer_says_how_to_quit(tmp_path: Path) -> None:
    app = play_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await chat_open(pilot)
        await pilot.pause()
        line = screen_line(app, app.screen.query_one(Footer).region.y)
        assert "^q Quit" in line  # q types into the composer: ctrl+q is the key here
        await pilot.press("ctrl+q")
    assert app.return_code == 0
