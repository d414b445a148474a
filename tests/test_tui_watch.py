"""Watch and demo mode driven by Pilot: controls, outcome, progress, saving, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from textual.widgets import Input

from convsim_core.models import ParticipantRole, TerminationReason
from convsim_core.participant import Participant
from convsim_core.persistence import read_transcript
from convsim_core.runners.full import FullSimulationRunner
from convsim_core.scenario import ScenarioError, builtin_scenario
from tests.support.timeouts import MS
from tui.app import ConvsimApp, watch_screen
from tui.pace import Pace
from tui.run_source import ActiveRun, PreparedRunSource, RunHooks, RunSource, ScenarioRunSource
from tui.screens.dialogs import SaveDialog
from tui.screens.help import HelpScreen
from tui.screens.run_screens import WatchScreen
from tui.settings import ViewSettings
from tui.testing import (
    AGENT_TURNS,
    BASE_TIMESTAMP,
    CUSTOMER_TURNS,
    scripted_info,
    scripted_source,
    snapshot_settings,
    wait_until,
)
from tui.widgets.error_panel import ErrorPanel
from tui.widgets.live_run import LiveRun
from tui.widgets.outcome_panel import OutcomePanel
from tui.widgets.progress_panel import ProgressPanel

ALL_MESSAGES = 8
"""Opening + 7 replies: the agent's "have a nice day" (message 8) ends the chat."""


def watch_app(source: RunSource, pace: Pace, settings: ViewSettings | None = None) -> ConvsimApp:
    settings = settings or snapshot_settings(autostart=True)
    return ConvsimApp(
        lambda app: WatchScreen(source, seed=7, settings=settings, pace=pace), settings=settings
    )


def live(app: ConvsimApp) -> LiveRun:
    return app.screen.query_one(LiveRun)


async def test_a_full_run_shows_messages_outcome_and_progress(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    app = watch_app(scripted_source(transcript_path=path), Pace(paced=False))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "done")
        await pilot.pause()
        assert run.transcript.message_count == ALL_MESSAGES
        shown = [m.content for _, m in run.transcript.messages_shown()]
        assert shown[1:3] == [AGENT_TURNS[0], CUSTOMER_TURNS[0]]
        panel = run.query_one(OutcomePanel)
        assert panel.current == "resolved"
        assert panel.judgement is not None and panel.judgement.message_index == 5
        assert panel.result is not None
        assert panel.result.termination_reason is TerminationReason.CLOSING_PHRASE
        rendered = str(panel.render())
        assert "resolved" in rendered and "(message #6)" in rendered
        assert "closing phrase" in rendered
        progress = run.query_one(ProgressPanel)
        assert progress.state == "done"
        stats = str(progress.query_one("#progress-stats").render())
        assert f"{ALL_MESSAGES} / 12 messages" in stats
        assert "sim 1:17" in stats and "Wall 0:00" in stats  # frozen clock
    transcript = read_transcript(path)
    assert len(transcript.messages) == ALL_MESSAGES
    assert transcript.result is not None
    assert transcript.result.conversation.outcome is not None
    assert transcript.result.conversation.outcome.name == "resolved"


async def test_pause_step_resume_and_speed() -> None:
    app = watch_app(scripted_source(), Pace(speed=1000.0, max_wait=10 * MS, start_paused=True))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.transcript.message_count == 1)
        await pilot.pause(100 * MS)
        assert run.status == "paused"
        assert run.transcript.message_count == 1  # paused before the first reply
        assert run.typing.role is ParticipantRole.AGENT

        await pilot.press("n")
        await wait_until(pilot, lambda: run.transcript.message_count == 2)
        await pilot.pause(100 * MS)
        assert run.transcript.message_count == 2  # exactly one more
        assert run.status == "paused"

        await pilot.press("f")
        assert run.pacer is not None and run.pacer.speed is None
        assert "fastest" in str(run.query_one("#progress-stats").render())
        await pilot.press("f")
        assert run.pacer.speed == 1000.0

        await pilot.press("space")
        await wait_until(pilot, lambda: run.status == "done")
        assert run.transcript.message_count == ALL_MESSAGES
        assert run.typing.role is None


async def test_stop_records_a_stopped_run(tmp_path: Path) -> None:
    path = tmp_path / "stopped.jsonl"
    app = watch_app(scripted_source(transcript_path=path), Pace(start_paused=True))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "paused")
        await pilot.press("x")
        await wait_until(pilot, lambda: run.status == "stopped")
        assert run.last_result is not None
        assert run.last_result.termination_reason is TerminationReason.STOPPED
        assert not run.error_panel.visible_error
    transcript = read_transcript(path)
    assert transcript.result is not None
    assert transcript.result.termination_reason is TerminationReason.STOPPED


async def test_restart_uses_the_next_seed_and_starts_over() -> None:
    seeds: list[int] = []
    base = scripted_source()

    def factory(hooks: RunHooks):  # type: ignore[no-untyped-def]
        seeds.append(hooks.seed)
        return base.factory(hooks)

    source = PreparedRunSource(scripted_info(), factory)
    app = watch_app(source, Pace(paced=False))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "done")
        await pilot.press("r")
        await wait_until(pilot, lambda: run.seed == 8 and run.status == "done")
        assert seeds == [7, 8]
        assert run.transcript.message_count == ALL_MESSAGES  # not doubled
        assert "seed 8" in str(app.screen.sub_title)


async def test_save_writes_jsonl_and_markdown(tmp_path: Path) -> None:
    recorded = tmp_path / "recorded.jsonl"
    app = watch_app(scripted_source(transcript_path=recorded), Pace(paced=False))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "done")
        for target in (tmp_path / "copy.jsonl", tmp_path / "chat.md"):
            await pilot.press("s")
            await wait_until(pilot, lambda: isinstance(app.screen, SaveDialog))
            field = app.screen.query_one(Input)
            field.value = str(target)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, WatchScreen))
            await wait_until(pilot, target.exists)
    assert (tmp_path / "copy.jsonl").read_bytes() == recorded.read_bytes()
    markdown = (tmp_path / "chat.md").read_text()
    assert markdown.startswith("# Refund for a double charge")
    assert "**Agent** · #2" in markdown and "- Outcome: resolved" in markdown


async def test_help_and_palette_list_every_control() -> None:
    app = watch_app(scripted_source(), Pace(start_paused=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: live(app).status == "paused")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one("#help-keys").render())
        for what in (
            "Resume the conversation",
            "one more message",
            "Stop",
            "next seed",
            "Save",
            "Quit",
        ):
            assert what in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, WatchScreen))
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Pause or resume", "Step one message", "Toggle speed", "Stop"):
            assert title in titles
        assert "Restart with a new seed" in titles and "Save transcript" in titles


class FailingStart(RunSource):
    async def start(self, hooks: RunHooks) -> ActiveRun:
        raise ScenarioError("broken.toml", "outcomes", "at least one outcome is needed")


class BrokenAgent(Participant):
    role = ParticipantRole.AGENT

    async def get_next_message(self, conversation):  # type: ignore[no-untyped-def]
        raise RuntimeError("LLM call failed: 503 from the provider")


async def test_a_bad_scenario_shows_an_error_panel_not_a_traceback() -> None:
    app = watch_app(FailingStart(scripted_info()), Pace(paced=False))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "error")
        panel = run.query_one(ErrorPanel)
        assert panel.visible_error
        assert panel.title == "Scenario problem"
        assert "at least one outcome" in panel.detail
        assert app.return_code is None  # still running, not crashed
        await pilot.press("q")
    assert app.return_code == 1


async def test_a_failing_participant_ends_the_run_with_an_error(tmp_path: Path) -> None:
    base = scripted_source()

    def factory(hooks: RunHooks):  # type: ignore[no-untyped-def]
        runner = base.factory(hooks)
        assert isinstance(runner, FullSimulationRunner)
        runner.agent = BrokenAgent()
        return runner

    app = watch_app(PreparedRunSource(scripted_info(), factory), Pace(paced=False))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "error")
        assert run.error_panel.title == "The conversation failed"
        assert "503" in run.error_panel.detail
        assert run.last_result is not None
        assert run.last_result.termination_reason is TerminationReason.PARTICIPANT_ERROR


async def test_demo_scenario_runs_and_writes_its_transcript(tmp_path: Path) -> None:
    scenario = builtin_scenario("demo")
    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    source = ScenarioRunSource(scenario, runs_root=tmp_path, base_timestamp=BASE_TIMESTAMP)
    app = ConvsimApp(
        lambda app: watch_screen(
            scenario, seed=7, mode="demo", settings=settings, source=source, pace=Pace(paced=False)
        ),
        settings=settings,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "done")
        assert app.screen.title == "convsim · demo"
        assert run.outcome_panel.current == "resolved"
        path = run.transcript_path
    assert path is not None and path.parent == tmp_path / "demo"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["seed"] == 7
    assert lines[-1]["type"] == "result"
    assert lines[1]["timestamp"].startswith(BASE_TIMESTAMP.isoformat()[:19])
    assert datetime.fromisoformat(lines[1]["timestamp"]).tzinfo is not None
    assert UTC is not None
