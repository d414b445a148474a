"""``convsim replay``: resend recorded customer messages to a real bot on 127.0.0.1, compare."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from channels.demo_bot import DemoBotServer
from convsim_core.models import Message, ParticipantRole
from convsim_core.persistence import read_transcript
from convsim_core.recorded import RecordedGaps, customer_script
from convsim_core.replay import compare, word_diff
from tests.test_connect_cli import run_cli, write_scenario
from tui.app import ConvsimApp
from tui.replaying.print import print_comparison
from tui.screens.replay_screen import ReplayScreen
from tui.widgets.turn_diff import TurnDiff, sides

CUSTOMER, AGENT = ParticipantRole.CUSTOMER, ParticipantRole.AGENT
T0 = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


def msg(seconds: float, sender: ParticipantRole, text: str) -> Message:
    return Message(text, T0 + timedelta(seconds=seconds), sender)


RECORDED = [
    msg(0, CUSTOMER, "Hi, I was charged twice."),
    msg(2, AGENT, "Sorry about that. What's your email?"),
    msg(9, CUSTOMER, "dana@example.com"),
    msg(11, AGENT, "The duplicate payment has been refunded."),
]
NEW = [
    RECORDED[0],
    msg(1, AGENT, "Sorry about that. What's your email?"),
    RECORDED[2],
    msg(3, AGENT, "I cannot refund this, please call us."),
]


def test_turns_pair_up_and_the_diff_marks_words() -> None:
    result = compare(
        Path("a.jsonl"), RECORDED, NEW, recorded_outcome="resolved", new_outcome="refund_denied"
    )
    assert [t.number for t in result.turns] == [1, 2]
    assert [t.changed for t in result.turns] == [False, True]
    assert result.outcome_changed and result.changed
    diff = word_diff(result.turns[1].recorded_text, result.turns[1].new_text)
    assert ("-", "The duplicate payment has been refunded.") in diff
    assert ("+", "I cannot refund this, please call us.") in diff


def test_turns_after_the_break_are_not_replayed_not_changed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The bot went away after the first answer: the second customer message was never sent.
    result = compare(
        Path("a.jsonl"),
        RECORDED,
        NEW[:2],
        recorded_outcome="resolved",
        new_outcome=None,
        error="cannot reach the bot",
    )
    assert [t.replayed for t in result.turns] == [True, False]
    assert result.changed_turns == () and len(result.not_replayed) == 1
    assert result.changed  # the error still makes the conversation a change
    print_comparison(result)
    out = capsys.readouterr().out
    assert "not replayed" in out and "(not replayed)" in out
    assert "0 of 2 turns (1 not replayed: the replay broke off)" in out
    assert out.count("changed") == 1  # only the outcome line says "(changed)"
    _, new_side = sides(result.turns[1])  # the replay screen says the same
    assert "not replayed" in new_side.plain


def test_the_script_keeps_the_recorded_gaps() -> None:
    script = customer_script(RECORDED)
    assert script.opening.content == "Hi, I was charged twice." and script.turns == (
        "dana@example.com",
    )
    assert script.gaps == (7.0,)
    gaps = RecordedGaps(script.gaps, cap=5.0)
    assert gaps.seconds(CUSTOMER, "x", "y") == 5.0  # capped
    assert gaps.seconds(CUSTOMER, "x", "y") == 0.0  # the script is over


async def record(tmp_path: Path, bot: DemoBotServer, name: str = "recorded.jsonl") -> Path:
    scenario, out = write_scenario(tmp_path), tmp_path / name
    code = await run_cli(
        ["connect", str(scenario), "--ws", bot.ws_url, "--headless", "--out", str(out)]
    )
    assert code == 0
    return out


async def test_replay_against_the_same_bot_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with DemoBotServer() as bot:
        recorded = await record(tmp_path, bot)
        capsys.readouterr()
        code = await run_cli(["replay", str(recorded), "--fast", "--headless"])
    out = capsys.readouterr().out
    assert code == 0, out
    turns = len([m for m in read_transcript(recorded).messages if m.sender is CUSTOMER])
    assert f"Changed:    0 of {turns} turns" in out
    assert "| new" in out and "recorded" in out  # the two columns


async def test_replay_against_a_new_build_shows_the_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with DemoBotServer() as old_bot:
        recorded = await record(tmp_path, old_bot)
    capsys.readouterr()
    async with DemoBotServer(brain_seed=3) as new_bot:  # another wording: a new build
        code = await run_cli(
            ["replay", str(recorded), "--ws", new_bot.ws_url, "--fast", "--headless"]
        )
    out = capsys.readouterr().out
    assert code == 1
    assert "changed" in out and "diff: " in out and "[-" in out and "{+" in out
    assert "Outcome:    recorded resolved · new " in out


async def test_replay_with_recorded_timing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with DemoBotServer() as bot:
        recorded = await record(tmp_path, bot)
        capsys.readouterr()
        code = await run_cli(["replay", str(recorded), "--ws", bot.ws_url, "--headless"])
    out = capsys.readouterr().out
    assert code == 0, out
    new = Path(out.split("Transcript:")[1].split()[0])
    replayed = read_transcript(new)
    assert replayed.header["replay_of"] == str(recorded) and replayed.header["replay_fast"] is False
    customers = [m.content for m in replayed.messages if m.sender is CUSTOMER]
    assert customers == [
        m.content for m in read_transcript(recorded).messages if m.sender is CUSTOMER
    ]


async def test_replay_a_folder_summarises_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    async with DemoBotServer() as bot:
        first = await record(tmp_path, bot)
    shutil.copy(first, folder / "one.jsonl")
    shutil.copy(first, folder / "two.jsonl")
    capsys.readouterr()
    async with DemoBotServer(brain_seed=3) as new_bot:
        code = await run_cli(
            ["replay", str(folder), "--ws", new_bot.ws_url, "--fast", "--headless"]
        )
    out = capsys.readouterr().out
    assert code == 1
    assert "2 conversations replayed: 2 changed" in out
    assert "one " in out and "two " in out


async def test_a_missing_transcript_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = await run_cli(["replay", str(tmp_path / "nope.jsonl"), "--headless"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "no such transcript" in err


async def test_the_replay_screen_shows_both_sides_and_jumps_to_changes() -> None:
    result = compare(
        Path("a.jsonl"), RECORDED, NEW, recorded_outcome="resolved", new_outcome="refund_denied"
    )
    app = ConvsimApp(lambda app: ReplayScreen([result]))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        diffs = list(app.screen.query(TurnDiff))
        assert [d.turn.changed for d in diffs] == [False, True]
        new_side = str(app.screen.query_one("#new-2").render())
        assert "I cannot refund this" in new_side
        assert "has been refunded" in str(app.screen.query_one("#recorded-2").render())
        assert "resolved → refund_denied" in str(app.screen.query_one("#replay-summary").render())
        await pilot.press("n")
        await pilot.pause()
