"""Play mode: the person types the agent's replies, then confirms or overrides the outcome."""

from __future__ import annotations

from pathlib import Path

import attrs

from convsim_core.models import ParticipantRole, TerminationReason
from convsim_core.persistence import read_transcript
from convsim_core.scenario import builtin_scenario
from convsim_core.scenario_models import Scenario
from tests.support.timeouts import MS, TIMEOUT
from tui.app import ConvsimApp, play_screen
from tui.screens.dialogs import OutcomeDialog
from tui.screens.run_screens import PlayScreen
from tui.sources.play import PERSON_TIMEOUT, person_timing
from tui.testing import snapshot_settings, wait_until
from tui.widgets.composer import Composer
from tui.widgets.live_run import LiveRun


def quick_demo() -> Scenario:
    """The demo scenario with a customer who answers at once (no typing delay)."""
    scenario = builtin_scenario("demo")
    termination = attrs.evolve(scenario.termination, typing_delay=False, settle_seconds=50 * MS)
    return attrs.evolve(scenario, termination=termination)


def play_app(tmp_path: Path) -> ConvsimApp:
    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    return ConvsimApp(
        lambda app: play_screen(quick_demo(), seed=7, settings=settings), settings=settings
    )


def live(app: ConvsimApp) -> LiveRun:
    return app.screen.query_one(LiveRun)


async def type_and_send(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*text)
    await pilot.press("ctrl+s")


def test_person_timing_gives_a_person_time_to_type() -> None:
    timing = person_timing(builtin_scenario("demo"), seed=1)
    assert timing.response_timeout is not None and timing.response_timeout >= PERSON_TIMEOUT
    assert timing.inactivity_timeout is not None and timing.inactivity_timeout >= PERSON_TIMEOUT


async def test_the_person_chats_as_the_agent_and_overrides_the_outcome(tmp_path: Path) -> None:
    app = play_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.transcript.message_count == 1)
        composer = app.screen.query_one(Composer)
        await wait_until(pilot, lambda: not composer.text_area.read_only)
        assert app.focused is composer.text_area
        await type_and_send(pilot, "Hi, this is Sam. What's the email on the account?")
        await wait_until(pilot, lambda: run.transcript.message_count >= 3, within=TIMEOUT * 3)
        shown = [m for _, m in run.transcript.messages_shown()]
        assert shown[1].sender is ParticipantRole.AGENT
        assert shown[1].content == "Hi, this is Sam. What's the email on the account?"
        assert shown[2].sender is ParticipantRole.CUSTOMER
        assert "dana.whitfield@example.com" in shown[2].content
        assert composer.text == ""  # cleared after sending

        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeDialog), within=TIMEOUT * 3)
        dialog = app.screen
        assert isinstance(dialog, OutcomeDialog) and dialog.judged == "__none__"
        await pilot.press("home", "down", "enter")  # highlight "refund_denied", pick it
        await wait_until(pilot, lambda: isinstance(app.screen, PlayScreen))
        await wait_until(pilot, lambda: run.outcome_panel.override == "refund_denied")
        path = run.transcript_path
        assert composer.text_area.read_only
    assert path is not None
    transcript = read_transcript(path)
    assert transcript.result is not None
    assert transcript.result.termination_reason is TerminationReason.PARTICIPANT_FINISHED
    assert transcript.result.conversation.outcome is not None
    assert transcript.result.conversation.outcome.name == "refund_denied"
    assert transcript.result.outcome_overridden_by == "person"
    assert [m.content for m in transcript.messages][:2] == [
        shown[0].content,
        "Hi, this is Sam. What's the email on the account?",
    ]


async def test_confirming_the_judges_outcome_is_not_an_override(tmp_path: Path) -> None:
    app = play_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        composer = app.screen.query_one(Composer)
        await wait_until(pilot, lambda: not composer.text_area.read_only)
        await type_and_send(pilot, "Done: the duplicate payment has been refunded.")
        await wait_until(pilot, lambda: run.outcome_panel.current == "resolved", within=TIMEOUT * 3)
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeDialog), within=TIMEOUT * 3)
        dialog = app.screen
        assert isinstance(dialog, OutcomeDialog) and dialog.judged == "resolved"
        await pilot.press("enter")  # the judge's outcome is highlighted
        await wait_until(pilot, lambda: run.outcome_panel.override == "resolved")
        path = run.transcript_path
    assert path is not None
    result = read_transcript(path).result
    assert result is not None and result.conversation.outcome is not None
    assert result.conversation.outcome.name == "resolved"
    assert result.outcome_overridden_by is None


async def test_sending_is_refused_until_the_chat_is_open(tmp_path: Path) -> None:
    settings = snapshot_settings(autostart=False, runs_root=tmp_path)
    app = ConvsimApp(
        lambda app: play_screen(quick_demo(), seed=7, settings=settings), settings=settings
    )
    async with app.run_test(size=(100, 30)) as pilot:
        composer = app.screen.query_one(Composer)
        await pilot.pause()
        assert composer.text_area.read_only
        assert "ctrl+r" in str(composer.query_one("#composer-hint").render())
        await pilot.press("ctrl+s")
        assert live(app).transcript.message_count == 0
        await pilot.press("ctrl+r")  # start the chat
        await wait_until(pilot, lambda: not composer.text_area.read_only)
        assert live(app).seed == 7  # the first start keeps the seed
