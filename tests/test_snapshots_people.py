"""Snapshots of the people-in-the-loop features (take-over, replay diff, the batch dashboard),
grouped by feature. Deterministic: scripted runs, fixed seeds and timestamps, a frozen clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from convsim_core.models import ParticipantRole
from tests.support.timeouts import MS
from tui.app import ConvsimApp
from tui.batch_dashboard import REFRESH_SECONDS
from tui.pace import Pace
from tui.screens.run_screens import WatchScreen
from tui.testing import scripted_source, snapshot_settings, wait_until
from tui.widgets.live_run import LiveRun

SnapCompare = Callable[..., bool]
SIZES = [(80, 24), (120, 40)]


class TestTakeOverSnapshots:
    @staticmethod
    def app() -> ConvsimApp:
        settings = snapshot_settings(autostart=True)
        pace = Pace(speed=1000.0, max_wait=10 * MS, start_paused=True)
        return ConvsimApp(
            lambda app: WatchScreen(scripted_source(), seed=7, settings=settings, pace=pace),
            settings=settings,
        )

    @pytest.mark.parametrize("size", SIZES)
    def test_the_person_holds_the_customers_seat(
        self, snap_compare: SnapCompare, size: tuple[int, int]
    ) -> None:
        async def take_over(pilot: Pilot[Any]) -> None:
            run = pilot.app.screen.query_one(LiveRun)
            await wait_until(pilot, lambda: run.status == "paused")
            await pilot.press("n")
            await wait_until(pilot, lambda: run.transcript.message_count == 2)
            await pilot.press("t")
            await wait_until(pilot, lambda: run.typing.role is ParticipantRole.CUSTOMER)
            await pilot.press(*"It's dana@example.com")
            pilot.app.clear_notifications()
            await pilot.pause()

        assert snap_compare(self.app(), terminal_size=size, run_before=take_over)


class TestReplaySnapshots:
    @staticmethod
    def app() -> ConvsimApp:
        from pathlib import Path

        from convsim_core.replay import compare
        from tests.test_replay import NEW, RECORDED
        from tui.screens.replay_screen import ReplayScreen

        changed = compare(
            Path("refund-0001.jsonl"),
            RECORDED,
            NEW,
            recorded_outcome="resolved",
            new_outcome="refund_denied",
        )
        same = compare(
            Path("refund-0002.jsonl"),
            RECORDED,
            RECORDED,
            recorded_outcome="resolved",
            new_outcome="resolved",
        )
        return ConvsimApp(lambda app: ReplayScreen([changed, same]))

    @pytest.mark.parametrize("size", SIZES)
    def test_the_replay_diff(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        assert snap_compare(self.app(), terminal_size=size)


class TestDashboardSnapshots:
    @pytest.mark.parametrize("size", SIZES)
    def test_the_finished_batch(
        self,
        snap_compare: SnapCompare,
        size: tuple[int, int],
        tmp_path: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from pathlib import Path

        from tests.test_batch_dashboard_review import mixed_session
        from tui.batch_dashboard import BatchDashboard

        monkeypatch.chdir(tmp_path)
        session = mixed_session(Path("batch"))  # relative: the subtitle shows it
        app = BatchDashboard(session, session.run, settings=snapshot_settings())

        async def done(pilot: Pilot[Any]) -> None:
            await wait_until(pilot, lambda: session.summary is not None)
            await pilot.pause(REFRESH_SECONDS + 150 * MS)  # one refresh tick after the end
            pilot.app.clear_notifications()
            await pilot.pause()

        assert snap_compare(app, terminal_size=size, run_before=done)
