"""Connect mode against real bots on 127.0.0.1: the demo bot, a dropped connection, no bot."""

from __future__ import annotations

from pathlib import Path

import attrs

from channels.demo_bot import DemoBotServer
from convsim_core.channel import ChannelState
from convsim_core.persistence import read_transcript
from convsim_core.scenario import builtin_scenario
from convsim_core.scenario_models import Scenario
from tests.support.ports import free_port as closed_port
from tests.support.timeouts import MS, TIMEOUT
from tui.app import ConvsimApp, connect_screen
from tui.screens.run_screens import ConnectScreen
from tui.settings import ViewSettings
from tui.sources.connect import ConnectRunSource
from tui.testing import snapshot_settings, wait_until
from tui.widgets.connection_badge import ConnectionBadge
from tui.widgets.live_run import LiveRun
from tui.wiring.bots import demo_bot_profile


def quick_demo(response_timeout: float = 30.0, inactivity_timeout: float = 30.0) -> Scenario:
    scenario = builtin_scenario("demo")
    termination = attrs.evolve(
        scenario.termination,
        typing_delay=False,
        settle_seconds=50 * MS,
        response_timeout=response_timeout,
        inactivity_timeout=inactivity_timeout,
    )
    return attrs.evolve(scenario, termination=termination)


def app_for(source: ConnectRunSource, settings: ViewSettings) -> ConvsimApp:
    return ConvsimApp(
        lambda app: ConnectScreen(source, seed=7, settings=settings),
        settings=settings,
    )


def live(app: ConvsimApp) -> LiveRun:
    return app.screen.query_one(LiveRun)


async def test_a_chat_with_the_builtin_demo_bot(tmp_path: Path) -> None:
    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    app = ConvsimApp(
        lambda app: connect_screen(
            quick_demo(), demo_bot_profile(), seed=7, demo_bot=True, settings=settings
        ),
        settings=settings,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status in ("done", "error"), within=TIMEOUT * 6)
        assert run.status == "done", run.last_error
        badge = run.query_one(ConnectionBadge)
        assert ChannelState.CONNECTED in badge.history
        assert "built-in demo bot" in str(badge.render())
        assert run.outcome_panel.current == "resolved"
        assert "Pause" not in {b.binding.description for b in app.screen.active_bindings.values()}
        path = run.transcript_path
        shown = run.transcript.message_count
    assert path is not None
    transcript = read_transcript(path)
    assert transcript.result is not None and transcript.result.error is None
    assert len(transcript.messages) == shown > 4


async def test_a_dropped_connection_shows_reconnecting(tmp_path: Path) -> None:
    async with DemoBotServer(drop_after=2) as bot:
        # A reply lost with the connection would otherwise be waited for 30 s.
        scenario = quick_demo(response_timeout=2000 * MS, inactivity_timeout=2000 * MS)
        source = ConnectRunSource(scenario, demo_bot_profile(bot.url), runs_root=tmp_path)
        app = app_for(source, snapshot_settings(autostart=True, runs_root=tmp_path))
        async with app.run_test(size=(100, 30)) as pilot:
            run = live(app)
            badge = run.query_one(ConnectionBadge)
            await wait_until(
                pilot, lambda: ChannelState.RECONNECTING in badge.history, within=TIMEOUT * 6
            )
            await wait_until(pilot, lambda: run.status in ("done", "error"), within=TIMEOUT * 6)
            assert badge.history.index(ChannelState.RECONNECTING) < len(badge.history) - 1
            assert (
                ChannelState.CONNECTED
                in badge.history[badge.history.index(ChannelState.RECONNECTING) :]
            )
            assert f"127.0.0.1:{bot.port}/ws" in str(badge.render())


async def test_an_unreachable_bot_is_an_error_panel(tmp_path: Path) -> None:
    profile = demo_bot_profile(f"http://127.0.0.1:{closed_port()}")
    source = ConnectRunSource(quick_demo(), profile, runs_root=tmp_path)
    app = app_for(source, snapshot_settings(autostart=True, runs_root=tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status == "error", within=TIMEOUT * 4)
        assert run.error_panel.title == "Cannot reach the bot"
        assert "127.0.0.1" in run.error_panel.detail
        assert run.transcript.message_count == 0


async def test_a_webhook_404_is_one_clear_failure_not_malformed_replies(tmp_path: Path) -> None:
    from channels.profile import profile_for_url

    async with DemoBotServer() as bot:
        profile = profile_for_url(f"{bot.url}/not-the-webhook", kind="webhook")
        source = ConnectRunSource(quick_demo(), profile, runs_root=tmp_path, check=False)
        app = app_for(source, snapshot_settings(autostart=True, runs_root=tmp_path))
        async with app.run_test(size=(100, 30)) as pilot:
            run = live(app)
            await wait_until(pilot, lambda: run.status == "error", within=TIMEOUT * 4)
            await pilot.pause(200 * MS)
            notices = [n.message for n in app._notifications]
            assert not any("alformed" in text for text in notices), notices
            assert len(notices) == 1, notices
            assert run.last_error is not None
            shown = f"{run.last_error.title} {run.last_error.detail}"
            assert "404" in shown and "malformed" not in shown.lower()
            # Issue 13 review: worded as an unreachable bot, naming the path and the status.
            assert "HTTP 404" in notices[0] and "nreadable" not in notices[0]
            assert run.last_error.title == "Cannot reach the bot"
            assert "POST /not-the-webhook answered HTTP 404 Not Found" in run.last_error.detail
            assert "unreadable" not in str(run.query_one("#progress-stats").render())


async def test_the_bot_pane_shows_transport_url_and_reply_latency(tmp_path: Path) -> None:
    async with DemoBotServer() as bot:
        source = ConnectRunSource(quick_demo(), demo_bot_profile(bot.url), runs_root=tmp_path)
        app = app_for(source, snapshot_settings(autostart=True, runs_root=tmp_path))
        async with app.run_test(size=(120, 40)) as pilot:
            run = live(app)
            await wait_until(pilot, lambda: run.status in ("done", "error"), within=TIMEOUT * 6)
            badge = run.query_one(ConnectionBadge)
            text = str(badge.render())
            assert "WebSocket · demo-ws" in text and bot.ws_url.split("//")[1] in text
            assert badge.latencies and all(seconds >= 0 for seconds in badge.latencies)
            assert "median" in text and "slowest" in text
            scenario = str(run.query_one("#scenario").render())
            assert "the real bot" in scenario and "Sam, a friendly" not in scenario


async def test_unreadable_replies_are_counted_in_the_words_of_every_other_view(
    tmp_path: Path,
) -> None:
    # The progress pane alone said "malformed bot replies" (and "1 malformed bot replies");
    # the headless summary, `convsim show` and the batch summaries say "unreadable".
    async with DemoBotServer(garbage_every=2) as bot:
        source = ConnectRunSource(quick_demo(), demo_bot_profile(bot.url), runs_root=tmp_path)
        app = app_for(source, snapshot_settings(autostart=True, runs_root=tmp_path))
        async with app.run_test(size=(120, 40)) as pilot:
            run = live(app)
            await wait_until(pilot, lambda: run.status in ("done", "error"), within=TIMEOUT * 6)
            result = run.last_result
            assert result is not None and result.protocol_errors
            count = len(result.protocol_errors)
            progress = str(run.query_one("#progress-stats").render())
    noun = "reply" if count == 1 else "replies"
    assert f"{count} unreadable bot {noun}" in progress
    assert "malformed" not in progress
