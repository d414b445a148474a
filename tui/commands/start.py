"""``convsim`` with no arguments: the start screen (pick a scenario and a mode, reopen runs)."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_FOLDER = Path("examples/scenarios")


def run_start_screen(args: argparse.Namespace) -> int:
    """The start screen on ``args.scenarios`` (when the CLI has it), else examples/scenarios."""
    from tui.app import ConvsimApp, run_app
    from tui.screens.start import StartScreen

    folder = Path(getattr(args, "scenarios", None) or DEFAULT_FOLDER)
    return run_app(ConvsimApp(lambda app: StartScreen(folder, settings=app.settings)))
