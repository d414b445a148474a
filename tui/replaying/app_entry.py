"""Show replay results in the terminal UI (``convsim replay`` without ``--headless``)."""

from __future__ import annotations

from collections.abc import Sequence

from convsim_core.replay import ReplayComparison


def show_comparisons(results: Sequence[ReplayComparison]) -> int:
    from tui.app import ConvsimApp, run_app
    from tui.screens.replay_screen import ReplayScreen

    return run_app(ConvsimApp(lambda app: ReplayScreen(results)))
