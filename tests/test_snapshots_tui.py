"""Snapshots of every TUI mode, grouped by feature (run with --snapshot-update only after
looking at the SVGs). Deterministic by construction: fixed seeds and base timestamps, UTC
times, a frozen wall clock, no animations, no blinking cursor, a fixed terminal size."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import pytest
from textual.pilot import Pilot

from channels.profile import profile_for_url
from convsim_core.channel import ChannelState
from convsim_core.events import (
    ChannelStateChanged,
    Judged,
    MessageAdded,
    RunnerEvent,
    RunnerState,
    StateChanged,
)
from convsim_core.models import Judgement, Message, ParticipantRole
from convsim_core.scenario import ScenarioError, builtin_scenario
from convsim_core.scenario_models import Scenario
from tests.support.timeouts import MS
from tui.app import ConvsimApp, watch_screen
from tui.pace import Pace
from tui.run_source import ActiveRun, RunHooks, RunSource, ScenarioInfo, ScenarioRunSource
from tui.screens.run_screens import ConnectScreen, PlayScreen, WatchScreen
from tui.screens.start import StartScreen
from tui.screens.transcript_screen import TranscriptScreen
from tui.settings import ViewSettings
from tui.sources.connect import ConnectRunSource
from tui.sources.play import PlayRunSource
from tui.testing import BASE_TIMESTAMP, snapshot_settings, wait_until
from tui.widgets.live_run import LiveRun

SnapCompare = Callable[..., bool]

SCENARIO_TOML = """
title = "{title}"
description = "A short scenario for the start screen snapshot."
max_messages = 10
seed = 3

[[intents]]
role = "customer"
description = "{intent}"

[initial_message]
sender = "customer"
content = "Hello?"

[[outcomes]]
name = "resolved"
description = "It worked."
keywords = ["all sorted"]
"""


def demo_app(tmp_path: Path, pace: Pace, settings: ViewSettings) -> ConvsimApp:
    scenario = builtin_scenario("demo")
    source = ScenarioRunSource(scenario, runs_root=tmp_path, base_timestamp=BASE_TIMESTAMP)
    return ConvsimApp(
        lambda app: watch_screen(
            scenario, seed=7, mode="demo", settings=settings, source=source, pace=pace
        ),
        settings=settings,
    )


def live(pilot: Pilot[Any]) -> LiveRun:
    return pilot.app.screen.query_one(LiveRun)


def has_messages(run: LiveRun, count: int) -> bool:
    return run.transcript.message_count == count


def quick(scenario: Scenario) -> Scenario:
    termination = attrs.evolve(scenario.termination, typing_delay=False)
    return attrs.evolve(scenario, termination=termination)


def at(seconds: float) -> Any:
    return BASE_TIMESTAMP + timedelta(seconds=seconds)


# -- start screen -------------------------------------------------------------------------------


class TestStartScreen:
    """The start screen: scenarios, a broken file, recent runs."""

    def test_start_screen(
        self, snap_compare: SnapCompare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        folder = Path("scenarios")
        folder.mkdir()
        (folder / "billing.toml").write_text(
            SCENARIO_TOML.format(title="Billing question", intent="Understand a charge.")
        )
        (folder / "password.toml").write_text(
            SCENARIO_TOML.format(title="Password reset", intent="Get back into the account.")
        )
        (folder / "broken.toml").write_text("title = 3\n")
        runs = Path("runs") / "demo"
        runs.mkdir(parents=True)
        for number, outcome in enumerate(("resolved", None)):
            header = {
                "schema_version": 1,
                "type": "header",
                "scenario": "demo",
                "seed": 7 + number,
                "started_at": f"2025-03-04T09:3{number}:00+00:00",
            }
            lines = [json.dumps(header)]
            lines += [json.dumps({"schema_version": 1, "type": "message"})] * (4 + number)
            if outcome:
                result = {"schema_version": 1, "type": "result"}
                result["conversation"] = {"outcome": {"name": outcome}}
                lines.append(json.dumps(result))
            path = runs / f"run{number}.jsonl"
            path.write_text("\n".join(lines) + "\n")
            os.utime(path, (1_700_000_000 + number, 1_700_000_000 + number))
        settings = snapshot_settings(runs_root=Path("runs"))
        app = ConvsimApp(lambda app: StartScreen(folder, settings=settings), settings=settings)
        assert snap_compare(app, terminal_size=(80, 24))


# -- watch ----------------------------------------------------------------------------------------


class FailingSource(RunSource):
    async def start(self, hooks: RunHooks) -> ActiveRun:
        raise ScenarioError("scenarios/broken.toml", "outcomes", "at least one outcome is needed")


class TestWatch:
    """Watch mode: a run in progress, a finished run, a run that could not start."""

    def test_watch_in_progress(self, snap_compare: SnapCompare, tmp_path: Path) -> None:
        settings = snapshot_settings(autostart=True, runs_root=tmp_path)
        app = demo_app(tmp_path, Pace(speed=1000.0, max_wait=10 * MS, start_paused=True), settings)

        async def step_five(pilot: Pilot[Any]) -> None:
            run = live(pilot)
            await wait_until(pilot, lambda: run.status == "paused")
            for count in range(2, 6):
                await pilot.press("n")
                await wait_until(pilot, partial(has_messages, run, count))
            await wait_until(pilot, lambda: run.typing.role is ParticipantRole.AGENT)

        assert snap_compare(app, terminal_size=(80, 24), run_before=step_five)

    def test_watch_finished_with_outcome(self, snap_compare: SnapCompare, tmp_path: Path) -> None:
        settings = snapshot_settings(autostart=True, runs_root=tmp_path)
        app = demo_app(tmp_path, Pace(paced=False), settings)

        async def finish(pilot: Pilot[Any]) -> None:
            await wait_until(pilot, lambda: live(pilot).status == "done")

        assert snap_compare(app, terminal_size=(130, 40), run_before=finish)

    def test_error_panel(self, snap_compare: SnapCompare) -> None:
        info = ScenarioInfo.from_scenario(builtin_scenario("demo"))
        settings = snapshot_settings(autostart=True)
        app = ConvsimApp(
            lambda app: WatchScreen(FailingSource(info), seed=7, settings=settings),
            settings=settings,
        )

        async def failed(pilot: Pilot[Any]) -> None:
            await wait_until(pilot, lambda: live(pilot).status == "error")

        assert snap_compare(app, terminal_size=(80, 24), run_before=failed)


# -- play and connect (real time: their states are replayed with fixed timestamps) ---------------


def replay(events: list[RunnerEvent]) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        live(pilot).replay(events)
        await pilot.pause()

    return run_before


class TestPlay:
    """Play mode: the person types the agent's reply."""

    def test_play_waiting_for_input(self, snap_compare: SnapCompare, tmp_path: Path) -> None:
        scenario = quick(builtin_scenario("demo"))
        settings = snapshot_settings(runs_root=tmp_path)
        source = PlayRunSource(scenario, runs_root=tmp_path)
        app = ConvsimApp(
            lambda app: PlayScreen(source, seed=7, settings=settings), settings=settings
        )
        opening = Message(scenario.initial_message.content, at(0), ParticipantRole.CUSTOMER)
        events: list[RunnerEvent] = [StateChanged(RunnerState.RUNNING), MessageAdded(0, opening)]
        assert snap_compare(
            app, terminal_size=(100, 30), run_before=replay(events), press=["H", "i", "!"]
        )


class TestConnect:
    """Connect mode: a real bot's connection dropping."""

    def test_connect_reconnecting(self, snap_compare: SnapCompare, tmp_path: Path) -> None:
        scenario = builtin_scenario("demo")
        profile = profile_for_url("ws://127.0.0.1:8765/ws", kind="ws", preset="demo-ws")
        source = ConnectRunSource(scenario, profile, runs_root=tmp_path, check=False)
        settings = snapshot_settings(runs_root=tmp_path)
        app = ConvsimApp(
            lambda app: ConnectScreen(source, seed=7, settings=settings),
            settings=settings,
        )
        customer, agent = ParticipantRole.CUSTOMER, ParticipantRole.AGENT
        events: list[RunnerEvent] = [
            ChannelStateChanged(ChannelState.CONNECTING),
            ChannelStateChanged(ChannelState.CONNECTED),
            StateChanged(RunnerState.RUNNING),
            MessageAdded(0, Message(scenario.initial_message.content, at(0), customer)),
            MessageAdded(
                1, Message("Hi! I can help with billing. What's your email?", at(2), agent)
            ),
            Judged(Judgement(None, "no outcome yet")),
            MessageAdded(2, Message("It's dana.whitfield@example.com.", at(9), customer)),
            ChannelStateChanged(
                ChannelState.RECONNECTING, "dropped without a close frame; try 1/3"
            ),
        ]
        assert snap_compare(app, terminal_size=(100, 30), run_before=replay(events))


# -- read-only transcript -----------------------------------------------------------------------


class TestTranscriptViewer:
    """The read-only transcript viewer."""

    @staticmethod
    def stable_transcript(tmp_path: Path) -> Path:
        """The demo conversation recorded with its wall-clock fields pinned."""
        settings = snapshot_settings(autostart=True, runs_root=tmp_path)
        app = demo_app(tmp_path, Pace(paced=False), settings)
        import asyncio

        async def record() -> Path:
            async with app.run_test(size=(80, 24)) as pilot:
                run = pilot.app.screen.query_one(LiveRun)
                await wait_until(pilot, lambda: run.status == "done")
                assert run.transcript_path is not None
                return run.transcript_path

        path = asyncio.run(record())
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        lines[0]["started_at"] = "2025-03-04T09:30:00+00:00"  # wall-clock fields, pinned
        lines[-1]["duration_seconds"] = 12.5
        stable = tmp_path / "demo-seed7.jsonl"
        stable.write_text("".join(json.dumps(line) + "\n" for line in lines))
        return stable

    @staticmethod
    def viewer(stable: Path) -> ConvsimApp:
        viewer_settings = snapshot_settings()
        return ConvsimApp(
            lambda app: TranscriptScreen(Path(stable.name), settings=viewer_settings),
            settings=viewer_settings,
        )

    def test_transcript_viewer(
        self, snap_compare: SnapCompare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        viewer = self.viewer(self.stable_transcript(tmp_path))
        monkeypatch.chdir(tmp_path)
        assert snap_compare(viewer, terminal_size=(100, 30))

    @pytest.mark.parametrize("size", [(80, 24), (120, 40)])
    def test_a_selected_message(
        self,
        snap_compare: SnapCompare,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        size: tuple[int, int],
    ) -> None:
        """Message #3 selected with the keyboard: highlighted, marked, the footer's keys."""
        viewer = self.viewer(self.stable_transcript(tmp_path))
        monkeypatch.chdir(tmp_path)

        async def select_third(pilot: Pilot[Any]) -> None:
            await pilot.press("down", "down", "down")
            await pilot.pause()

        assert snap_compare(viewer, terminal_size=size, run_before=select_third)
