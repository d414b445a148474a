"""Connect mode in the app over Socket.IO and Direct Line, against the in-process demo bot."""

from __future__ import annotations

from pathlib import Path

import pytest

from convsim_core.channel import ChannelState
from convsim_core.persistence import read_transcript
from tests.support.timeouts import TIMEOUT
from tests.test_tui_connect import live, quick_demo
from tui.app import ConvsimApp, connect_screen
from tui.testing import snapshot_settings, wait_until
from tui.widgets.connection_badge import ConnectionBadge
from tui.wiring.bots import demo_bot_profile


@pytest.mark.parametrize(
    ("kind", "preset"), [("socketio", None), ("socketio", "chainlit"), ("directline", None)]
)
async def test_a_chat_over_the_new_transports(
    tmp_path: Path, kind: str, preset: str | None
) -> None:
    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    profile = demo_bot_profile(kind=kind, preset=preset)
    app = ConvsimApp(
        lambda app: connect_screen(quick_demo(), profile, seed=7, demo_bot=True, settings=settings),
        settings=settings,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        await wait_until(pilot, lambda: run.status in ("done", "error"), within=TIMEOUT * 6)
        assert run.status == "done", run.last_error
        assert ChannelState.CONNECTED in run.query_one(ConnectionBadge).history
        assert run.outcome_panel.current == "resolved"
        path = run.transcript_path
    assert path is not None
    transcript = read_transcript(path)
    assert transcript.result is not None and transcript.result.error is None
    assert transcript.result.protocol_errors == ()
