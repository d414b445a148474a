"""The outcome pane says why no outcome was reached (real app, Pilot, snapshot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from convsim_core.scenario import parse_scenario
from tui.app import ConvsimApp
from tui.pace import Pace
from tui.run_source import ScenarioRunSource
from tui.screens.run_screens import WatchScreen
from tui.testing import BASE_TIMESTAMP, snapshot_settings, wait_until
from tui.widgets.live_run import LiveRun
from tui.widgets.outcome_panel import OutcomePanel

REFUSED = {
    "title": "Refund refused",
    "name": "refund-refused",
    "initial_message": "I was charged twice, can I get a refund?",
    "max_messages": 4,
    "customer": {"kind": "scripted", "turns": ["Why not?"]},
    "agent": {
        "kind": "scripted",
        "turns": [
            "Sorry, I couldn't refund you, the charge is still pending.",
            "It has not settled.",
        ],
    },
    "outcomes": [
        {
            "name": "refunded",
            "description": "The duplicate charge was refunded.",
            "said_by": "agent",
        },
        {"name": "escalated", "description": "The case went to a supervisor.", "said_by": "agent"},
    ],
}


def _app(tmp_path: Path) -> ConvsimApp:
    scenario = parse_scenario(REFUSED, source="<refund refused>")
    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    source = ScenarioRunSource(scenario, runs_root=tmp_path, base_timestamp=BASE_TIMESTAMP)
    return ConvsimApp(
        lambda app: WatchScreen(source, seed=7, settings=settings, pace=Pace(paced=False)),
        settings=settings,
    )


async def test_no_outcome_shows_the_possible_outcomes_and_the_nearest_miss(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        run = app.screen.query_one(LiveRun)
        await wait_until(pilot, lambda: run.status == "done")
        await pilot.pause()
        rendered = str(run.query_one(OutcomePanel).render())
    assert "No outcome reached" in rendered
    assert "possible: refunded, escalated" in rendered
    assert "nearest miss: refunded at message #2" in rendered
    assert "negated" in rendered


def test_no_outcome_pane_snapshot(snap_compare: Any, tmp_path: Path) -> None:
    async def finish(pilot: Pilot[Any]) -> None:
        run = pilot.app.screen.query_one(LiveRun)
        await wait_until(pilot, lambda: run.status == "done")

    assert snap_compare(_app(tmp_path), terminal_size=(120, 32), run_before=finish)
