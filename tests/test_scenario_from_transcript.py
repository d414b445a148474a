"""``convsim scenarios from-transcript``: a session becomes a scripted scenario that runs."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.widgets import Input

from channels.demo_bot import DemoBotServer
from convsim_core.models import ParticipantRole
from convsim_core.persistence import read_transcript
from convsim_core.scenario import load_scenario
from tests.test_connect_cli import run_cli, write_scenario
from tui.app import ConvsimApp
from tui.cli import main
from tui.screens.dialogs import SaveDialog
from tui.screens.transcript_screen import TranscriptScreen
from tui.testing import snapshot_settings, wait_until

CUSTOMER = ParticipantRole.CUSTOMER


async def connected(tmp_path: Path) -> Path:
    scenario, out = write_scenario(tmp_path), tmp_path / "session.jsonl"
    async with DemoBotServer() as bot:
        code = await run_cli(
            ["connect", str(scenario), "--ws", bot.ws_url, "--headless", "--out", str(out)]
        )
    assert code == 0
    return out


def expected_outcome(path: Path) -> str | None:
    """The [expect] pass list, written as a table or (no loader support) as a comment."""
    text = path.read_text()
    data = tomllib.loads(text)
    if "expect" in data:
        return str(data["expect"]["pass"][0])
    lines = [line.removeprefix("# ") for line in text.splitlines() if line.startswith("# ")]
    block = "\n".join(lines[lines.index("[expect]") :])
    return str(tomllib.loads(block)["expect"]["pass"][0])


async def test_a_connected_session_becomes_a_scenario_that_loads_and_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = await connected(tmp_path)
    out = tmp_path / "recorded.toml"
    assert main(["scenarios", "from-transcript", str(session), "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    scenario = load_scenario(out)
    recorded = read_transcript(session)
    turns = [m.content for m in recorded.messages if m.sender is CUSTOMER]
    assert scenario.customer.kind == "scripted"
    assert scenario.initial_message.content == turns[0]
    assert list(scenario.customer.turns) == turns[1:]
    assert recorded.result is not None and recorded.result.conversation.outcome is not None
    assert expected_outcome(out) == recorded.result.conversation.outcome.name
    assert scenario.bot is not None and scenario.bot["url"] == recorded.header["bot_url"]
    # It runs: against the same (demo) bot, the scripted customer says the same things.
    run = tmp_path / "rerun.jsonl"
    async with DemoBotServer() as bot:
        code = await run_cli(
            ["connect", str(out), "--ws", bot.ws_url, "--headless", "--out", str(run)]
        )
    assert code == 0
    again = read_transcript(run)
    assert [m.content for m in again.messages if m.sender is CUSTOMER] == turns
    assert again.result is not None and again.result.conversation.outcome is not None
    assert again.result.conversation.outcome.name == expected_outcome(out)


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "from-transcript", str(tmp_path / "none.jsonl")]) == 2
    assert "no such transcript" in capsys.readouterr().err
    existing = tmp_path / "x.toml"
    existing.write_text("# mine\n")
    session = tmp_path / "s.jsonl"
    assert main(["demo", "--headless", "--out", str(session)]) == 0
    capsys.readouterr()
    code = main(["scenarios", "from-transcript", str(session), "--out", str(existing)])
    assert code == 2 and "exists" in capsys.readouterr().err
    assert existing.read_text() == "# mine\n"


async def test_the_viewer_saves_a_session_as_a_scenario(tmp_path: Path) -> None:
    session = await connected(tmp_path)
    settings = snapshot_settings(runs_root=tmp_path)
    app = ConvsimApp(lambda app: TranscriptScreen(session, settings=settings), settings=settings)
    target = tmp_path / "from-viewer.toml"
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, SaveDialog))
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TranscriptScreen))
        await wait_until(pilot, target.exists)
        assert any(n.title == "Scenario saved" for n in app._notifications)
    assert load_scenario(target).customer.kind == "scripted"
