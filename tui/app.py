"""The convsim Textual app and the entry points the command line calls.

One :class:`ConvsimApp` serves every mode; the entry points only pick the first screen.
Everything that makes a screen deterministic (clock, time zone, autostart, cursor blink) is
in :class:`~tui.settings.ViewSettings`, so tests and snapshots build the same app with a
prepared source instead of a scenario file.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tui.logs import routed_to
from tui.pace import DEMO_PACE, WATCH_PACE, Pace
from tui.screens.open_run import connect_screen, play_screen, watch_screen
from tui.screens.run_screens import RunScreen
from tui.settings import ViewSettings

if TYPE_CHECKING:
    from channels.profile import BotProfile
    from convsim_core.branching import Branch
    from convsim_core.scenario_models import Scenario

__all__ = [
    "ConvsimApp",
    "ScreenFactory",
    "connect_screen",  # the screen builders live in tui.screens.open_run; kept importable here
    "pace_for",
    "play_screen",
    "run_app",
    "run_connect_app",
    "run_play_app",
    "run_watch_app",
    "watch_screen",
]

logger = logging.getLogger(__name__)

ScreenFactory = Callable[["ConvsimApp"], Screen[Any]]


class ConvsimApp(App[int]):
    """Shows one screen per mode; quitting returns 1 when the last conversation failed."""

    CSS_PATH = "styles/app.tcss"
    TITLE = "convsim"

    BINDINGS = [Binding("q", "quit", "Quit", tooltip="Quit convsim")]

    def __init__(
        self, first_screen: ScreenFactory, *, settings: ViewSettings | None = None
    ) -> None:
        super().__init__()
        self.settings = settings or ViewSettings()
        self._first_screen = first_screen
        if not self.settings.animations:
            self.animation_level = "none"

    def on_mount(self) -> None:
        # Objects from start-up live as long as the app: keep them out of every later
        # garbage collection, whose full passes otherwise stall frames on long chats.
        if self.settings.freeze_gc:
            gc.freeze()
        self.push_screen(self._first_screen(self))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        commands = getattr(screen, "commands", None)
        if callable(commands):
            for title, help_text, callback in commands():
                yield SystemCommand(title, help_text, callback)
        yield from super().get_system_commands(screen)

    async def action_quit(self) -> None:
        code = 0
        for screen in self.screen_stack:
            if isinstance(screen, RunScreen):
                code = max(code, screen.exit_code)
        self.exit(code, return_code=code)

    # -- opening modes (the start screen uses these too) ------------------------------------------

    def open_watch(
        self,
        scenario: Scenario,
        *,
        seed: int | None,
        mode: str = "watch",
        branch: Branch | None = None,
    ) -> None:
        self.push_screen(
            watch_screen(scenario, seed=seed, mode=mode, settings=self.settings, branch=branch)
        )

    def open_play(
        self, scenario: Scenario, *, seed: int | None, branch: Branch | None = None
    ) -> None:
        self.push_screen(play_screen(scenario, seed=seed, settings=self.settings, branch=branch))

    def open_connect(
        self,
        scenario: Scenario,
        profile: BotProfile,
        *,
        seed: int | None,
        demo_bot: bool,
        branch: Branch | None = None,
    ) -> None:
        self.push_screen(
            connect_screen(
                scenario,
                profile,
                seed=seed,
                demo_bot=demo_bot,
                settings=self.settings,
                branch=branch,
            )
        )

    def open_transcript(self, path: Path) -> None:
        from tui.screens.transcript_screen import TranscriptScreen

        self.push_screen(TranscriptScreen(path, settings=self.settings))


# -- entry points (docs/architecture.md) -------------------------------------------------


def run_app(app: ConvsimApp) -> int:
    """Run ``app`` with logging routed into it; its exit code (1 when the last run failed)."""
    try:
        with routed_to(app):
            code = app.run()
    finally:
        gc.unfreeze()
    return int(code if code is not None else (app.return_code or 0))


def run_watch_app(
    scenario: Scenario,
    *,
    seed: int | None,
    mode: str = "watch",
    speed: float | None = None,
    branch: Branch | None = None,
) -> int:
    """``convsim demo`` / ``convsim watch``: a full simulation, live (``--speed`` sets the pace)."""
    if mode not in ("watch", "demo"):
        raise ValueError(f"mode must be 'watch' or 'demo', got {mode!r}")
    pace = pace_for(mode, speed)
    return run_app(
        ConvsimApp(
            lambda app: watch_screen(
                scenario, seed=seed, mode=mode, settings=app.settings, pace=pace, branch=branch
            )
        )
    )


def pace_for(mode: str, speed: float | None) -> Pace:
    """The mode's pace, at ``speed`` times real typing speed when given."""
    base = DEMO_PACE if mode == "demo" else WATCH_PACE
    return base if speed is None else attrs.evolve(base, speed=speed)


def run_play_app(scenario: Scenario, *, seed: int | None, branch: Branch | None = None) -> int:
    """``convsim play``: the person is the agent, the simulated customer answers."""
    return run_app(
        ConvsimApp(
            lambda app: play_screen(scenario, seed=seed, settings=app.settings, branch=branch)
        )
    )


def run_connect_app(
    scenario: Scenario,
    profile: BotProfile,
    *,
    seed: int | None,
    demo_bot: bool,
    branch: Branch | None = None,
) -> int:
    """``convsim connect``: follow a conversation with a real bot (the demo bot when asked)."""
    return run_app(
        ConvsimApp(
            lambda app: connect_screen(
                scenario,
                profile,
                seed=seed,
                demo_bot=demo_bot,
                settings=app.settings,
                branch=branch,
            )
        )
    )
