"""The screen of each live mode, built from a scenario: one place for the app and the screens.

The app's entry points and its ``open_*`` methods, the start screen and the transcript viewer's
branch (also inside the batch dashboard, a different app) all build their run screens here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.pace import DEMO_PACE, WATCH_PACE, Pace
from tui.run_source import RunSource, ScenarioRunSource
from tui.screens.run_screens import ConnectScreen, PlayScreen, WatchScreen
from tui.settings import ViewSettings

if TYPE_CHECKING:
    from channels.profile import BotProfile
    from convsim_core.branching import Branch
    from convsim_core.scenario_models import Scenario


def watch_screen(
    scenario: Scenario,
    *,
    seed: int | None,
    mode: str = "watch",
    settings: ViewSettings,
    source: RunSource | None = None,
    pace: Pace | None = None,
    branch: Branch | None = None,
) -> WatchScreen:
    if mode not in ("watch", "demo"):
        raise ValueError(f"mode must be 'watch' or 'demo', got {mode!r}")
    source = source or ScenarioRunSource(scenario, runs_root=settings.runs_root, branch=branch)
    return WatchScreen(
        source,
        seed=scenario.seed if seed is None else seed,
        settings=settings,
        pace=pace or (DEMO_PACE if mode == "demo" else WATCH_PACE),
        mode=mode,
    )


def play_screen(
    scenario: Scenario,
    *,
    seed: int | None,
    settings: ViewSettings,
    branch: Branch | None = None,
) -> PlayScreen:
    from tui.sources.play import PlayRunSource

    source = PlayRunSource(scenario, runs_root=settings.runs_root, branch=branch)
    return PlayScreen(source, seed=scenario.seed if seed is None else seed, settings=settings)


def connect_screen(
    scenario: Scenario,
    profile: BotProfile,
    *,
    seed: int | None,
    demo_bot: bool,
    settings: ViewSettings,
    branch: Branch | None = None,
) -> ConnectScreen:
    from tui.sources.connect import ConnectRunSource

    source = ConnectRunSource(
        scenario, profile, demo_bot=demo_bot, runs_root=settings.runs_root, branch=branch
    )
    return ConnectScreen(
        source,
        seed=scenario.seed if seed is None else seed,
        settings=settings,
    )
