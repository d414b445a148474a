"""Branch: ``--from TRANSCRIPT --at N`` keeps messages 0..N-1 and continues live; the viewer's b."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from channels.demo_bot import DemoBotServer
from convsim_core.branching import load_branch
from convsim_core.models import ParticipantRole
from convsim_core.persistence import read_transcript
from convsim_core.scenario import builtin_scenario
from tests.support.timeouts import TIMEOUT
from tui.app import ConvsimApp
from tui.cli import main
from tui.screens.branch_dialog import BranchDialog
from tui.screens.run_screens import PlayScreen, WatchScreen
from tui.screens.transcript_screen import TranscriptScreen
from tui.sources.play import PlayRunSource
from tui.testing import snapshot_settings, wait_until
from tui.widgets.composer import Composer
from tui.widgets.live_run import LiveRun


@pytest.fixture
def parent(demo_transcript: Path) -> Path:
    return demo_transcript


def same(a: object, b: object) -> bool:
    return [(m.sender, m.content) for m in a] == [(m.sender, m.content) for m in b]  # type: ignore[attr-defined]


def test_watch_branches_from_a_transcript(
    parent: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    child = tmp_path / "child.jsonl"
    code = main(
        [
            "watch",
            "--from",
            str(parent),
            "--at",
            "4",
            "--seed",
            "99",
            "--headless",
            "--out",
            str(child),
        ]
    )
    assert code == 0
    original, branched = read_transcript(parent), read_transcript(child)
    assert same(branched.messages[:4], original.messages[:4])
    assert len(branched.messages) > 4  # it went on live
    assert branched.messages[4].sender is ParticipantRole.CUSTOMER  # after the agent's #4
    assert branched.header["branched_from"] == str(parent)
    assert branched.header["branch_at"] == 4
    assert branched.header["seed"] == 99
    assert branched.result is not None and branched.result.conversation.outcome is not None


def test_branch_errors_are_one_line(parent: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "--from", str(parent), "--at", "99", "--headless"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--at must be between 1 and 14" in err
    assert main(["watch", "examples/none.toml", "--at", "2", "--headless"]) == 2
    assert "--at needs --from TRANSCRIPT" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:  # a usage mistake: argparse's one line
        main(["watch", "--at", "0", "--from", str(parent), "--headless"])
    assert exited.value.code == 2
    assert "--at must be at least 1, got 0" in capsys.readouterr().err


def test_load_branch_keeps_the_parents_seed_and_scenario(parent: Path) -> None:
    branch = load_branch(parent, 3)
    assert branch.at == 3 and len(branch.history) == 3
    assert branch.seed == 7
    assert branch.scenario_ref is not None and branch.scenario_ref.endswith("demo.toml")


async def test_connect_branches_against_the_demo_bot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_connect_cli import run_cli, write_scenario

    scenario = write_scenario(tmp_path)  # quick real-time settings
    recorded, child = tmp_path / "recorded.jsonl", tmp_path / "child.jsonl"
    async with DemoBotServer() as bot:
        code = await run_cli(
            ["connect", str(scenario), "--ws", bot.ws_url, "--headless", "--out", str(recorded)]
        )
        assert code == 0
        customers = [
            i
            for i, m in enumerate(read_transcript(recorded).messages)
            if m.sender is ParticipantRole.CUSTOMER
        ]
        at = customers[1] + 1  # the history ends with the customer's second message
        code = await run_cli(
            [
                "connect",
                str(scenario),
                "--from",
                str(recorded),
                "--at",
                str(at),
                "--ws",
                bot.ws_url,
                "--headless",
                "--out",
                str(child),
            ]
        )
    assert code == 0, capsys.readouterr().err
    original, branched = read_transcript(recorded), read_transcript(child)
    assert same(branched.messages[:at], original.messages[:at])
    assert branched.messages[at].sender is ParticipantRole.AGENT  # the bot answered it
    assert branched.header["branch_at"] == at and branched.header["bot_url"] == bot.ws_url


async def test_play_continues_from_the_history(parent: Path, tmp_path: Path) -> None:
    scenario = builtin_scenario("demo")
    scenario = attrs.evolve(
        scenario, termination=attrs.evolve(scenario.termination, typing_delay=False)
    )
    branch = load_branch(parent, 4)
    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    source = PlayRunSource(scenario, runs_root=tmp_path, branch=branch)
    app = ConvsimApp(lambda app: PlayScreen(source, seed=7, settings=settings), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        run = app.screen.query_one(LiveRun)
        # The agent's #4 asked for the invoice: the simulated customer answers it.
        await wait_until(pilot, lambda: run.transcript.message_count >= 5, within=TIMEOUT * 3)
        shown = [m for _, m in run.transcript.messages_shown()]
        assert same(shown[:4], branch.history)
        assert shown[4].sender is ParticipantRole.CUSTOMER and "INV-20931" in shown[4].content
        composer = app.screen.query_one(Composer)
        await wait_until(pilot, lambda: not composer.text_area.read_only)
        path = run.transcript_path
        await pilot.press("ctrl+f")
    assert path is not None
    assert read_transcript(path).header["branched_from"] == str(parent)


async def test_the_viewer_branches_from_the_last_message_on_screen(
    parent: Path, tmp_path: Path
) -> None:
    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    app = ConvsimApp(lambda app: TranscriptScreen(parent, settings=settings), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, BranchDialog))
        dialog = app.screen
        assert isinstance(dialog, BranchDialog) and dialog.count == 14
        assert 1 <= dialog.suggested <= 14  # the last message on screen (the view starts at #1)
        field = dialog.query_one("#branch-at")
        field.value = "6"  # type: ignore[attr-defined]
        await pilot.click("#branch-watch")
        await wait_until(pilot, lambda: isinstance(app.screen, WatchScreen))
        run = app.screen.query_one(LiveRun)
        await wait_until(pilot, lambda: run.status == "done", within=TIMEOUT * 6)
        path = run.transcript_path
    assert path is not None
    branched = read_transcript(path)
    assert same(branched.messages[:6], read_transcript(parent).messages[:6])
    assert branched.header["branch_at"] == 6


def test_watch_from_a_batch_transcript_file_still_reruns_it_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = Path(__file__).parent.parent / "examples" / "scenarios" / "customer-gives-up.toml"
    batch = tmp_path / "batch"
    assert main(["batch", str(scenario), "--runs", "1", "--out", str(batch), "--headless"]) == 0
    rerun = tmp_path / "rerun.jsonl"
    target = batch / "customer-gives-up-0000.jsonl"
    code = main(["watch", "--from", str(target), "--headless", "--out", str(rerun)])
    assert code == 0
    header = read_transcript(rerun).header
    assert "branched_from" not in header  # an exact re-run, not a branch
    assert same(read_transcript(rerun).messages, read_transcript(target).messages)
