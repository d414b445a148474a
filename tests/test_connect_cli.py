"""``convsim connect --headless`` as a user runs it: what is printed, the exit code, the file.

The CLI runs in a worker thread (it starts its own event loop, as from a shell) while the demo
bot serves from the test's loop, so a test can stop the bot in the middle of a conversation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from channels.demo_bot import DemoBotServer
from convsim_core import TerminationReason
from convsim_core.persistence import read_transcript
from tests.support.refund_scenario import refund_toml
from tests.support.timeouts import MS, TIMEOUT
from tui.cli import build_parser, main


def write_scenario(tmp_path: Path, *, response_timeout: float = 3) -> Path:
    path = tmp_path / "refund.toml"
    path.write_text(refund_toml(response_timeout=response_timeout, reconnect=True))
    return path


async def run_cli(argv: Sequence[str]) -> int:
    return await asyncio.wait_for(asyncio.to_thread(main, list(argv)), TIMEOUT * 3)


async def test_happy_path_prints_the_chat_and_saves_the_transcript(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out = write_scenario(tmp_path), tmp_path / "run.jsonl"
    async with DemoBotServer() as bot:
        code = await run_cli(
            ["connect", str(scenario), "--ws", bot.ws_url, "--headless", "--out", str(out)]
        )
    seen = capsys.readouterr()
    assert code == 0, seen.err
    assert "Refund a double charge from the demo bot" in seen.out
    assert f"agent {bot.ws_url}" in seen.out
    assert "Customer  Hi, I was charged twice" in seen.out
    assert "Agent     Could you tell me the email address" in seen.out
    assert "It's dana.whitfield@example.com." in seen.out
    assert "Outcome:    resolved - The duplicate payment was refunded." in seen.out
    assert "Ended by:   outcome reached (outcome 'resolved' reached)" in seen.out
    assert f"Transcript: {out}" in seen.out
    assert "Traceback" not in seen.err
    saved = read_transcript(out)
    assert saved.result is not None
    assert saved.result.termination_reason is TerminationReason.OUTCOME_REACHED
    assert saved.header["runner"] == "HybridSimulationRunner"
    assert len(saved.messages) == len(saved.result.conversation.messages) >= 5


@pytest.mark.parametrize("preset", ["generic-json", "rasa-rest", "botframework"])
async def test_webhook_presets_reach_the_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], preset: str
) -> None:
    scenario, out = write_scenario(tmp_path), tmp_path / "run.jsonl"
    async with DemoBotServer() as bot:
        argv = ["connect", str(scenario), "--webhook", bot.url, "--preset", preset]
        code = await run_cli([*argv, "--headless", "--out", str(out)])
    seen = capsys.readouterr()
    assert code == 0, seen.err
    assert "Outcome:    resolved" in seen.out
    assert read_transcript(out).result is not None


async def test_demo_bot_flag_needs_no_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out = write_scenario(tmp_path), tmp_path / "run.jsonl"
    code = await run_cli(
        ["connect", str(scenario), "--demo-bot", "--headless", "--out", str(out), "--seed", "5"]
    )
    seen = capsys.readouterr()
    assert code == 0, seen.err
    assert "ws://127.0.0.1:" in seen.out
    assert "seed 5" in seen.out
    assert "Outcome:    resolved" in seen.out
    assert read_transcript(out).result is not None

    code = await run_cli(
        [
            *("connect", str(scenario), "--demo-bot", "webhook", "--preset", "rasa-rest"),
            *("--headless", "--out", str(out)),
        ]
    )
    seen = capsys.readouterr()
    assert code == 0, seen.err
    assert "/webhooks/rest/webhook" in seen.out
    assert "Outcome:    resolved" in seen.out


async def test_demo_bot_without_a_scenario_plays_the_builtin_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.jsonl"
    code = await run_cli(
        ["connect", "--demo-bot", "--headless", "--max-messages", "2", "--out", str(out)]
    )
    seen = capsys.readouterr()
    assert code == 0, seen.err
    assert "Refund for a double charge" in seen.out  # the builtin demo's title
    assert "Ended by:   max messages" in seen.out
    saved = read_transcript(out)
    assert saved.header["scenario"] == "demo"
    assert [m.sender.value for m in saved.messages] == ["customer", "agent"]


async def test_unreachable_bot_is_one_line_naming_the_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out = write_scenario(tmp_path), tmp_path / "run.jsonl"
    async with DemoBotServer() as bot:
        url = bot.ws_url
    # the bot has stopped: its port is closed now
    code = await run_cli(["connect", str(scenario), "--ws", url, "--headless", "--out", str(out)])
    seen = capsys.readouterr()
    assert code == 2
    lines = seen.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"convsim: error: cannot reach {url}: ")
    assert "refused" in lines[0].lower() or "connect call failed" in lines[0].lower()
    assert "Traceback" not in seen.err
    assert not out.exists()


async def test_dropped_connection_saves_the_transcript_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out = write_scenario(tmp_path), tmp_path / "run.jsonl"
    bot = DemoBotServer(drop_after=2)
    await bot.start()

    async def stop_after_the_drop() -> None:
        # The bot cuts the connection on the customer's second message, then goes away for
        # good, so every reconnect attempt fails.
        for _ in range(int(TIMEOUT * 3 / (5 * MS))):
            if bot.dropped:
                break
            await asyncio.sleep(5 * MS)
        await bot.stop()

    stopper = asyncio.create_task(stop_after_the_drop())
    try:
        code = await run_cli(
            ["connect", str(scenario), "--ws", bot.ws_url, "--headless", "--out", str(out)]
        )
    finally:
        await stopper
    seen = capsys.readouterr()
    assert code == 1
    assert "Ended by:   channel error" in seen.out
    assert "[connection reconnecting" in seen.out
    assert f"convsim: lost the bot at {bot.ws_url}: " in seen.err
    assert f"the transcript so far is saved in {out}" in seen.err
    assert "Traceback" not in seen.err
    saved = read_transcript(out)
    assert saved.result is not None
    assert saved.result.termination_reason is TerminationReason.CHANNEL_ERROR
    # the opening, the bot's first turn and the customer's answer that never got a reply
    assert len(saved.messages) >= 3
    assert saved.messages[-1].content == "It's dana.whitfield@example.com."


async def test_slow_bot_ends_with_agent_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out = write_scenario(tmp_path, response_timeout=300 * MS), tmp_path / "run.jsonl"
    async with DemoBotServer(slow_seconds=1500 * MS) as bot:
        code = await run_cli(
            ["connect", str(scenario), "--ws", bot.ws_url, "--headless", "--out", str(out)]
        )
    seen = capsys.readouterr()
    assert code == 0
    assert f"Ended by:   agent timeout (the agent did not answer within {300 * MS:g} s)" in seen.out
    saved = read_transcript(out)
    assert saved.result is not None
    assert saved.result.termination_reason is TerminationReason.AGENT_TIMEOUT


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["connect", "--ws", "ws://127.0.0.1:9/ws"], "a scenario file is needed"),
        (["connect", "{scenario}"], "which bot? give --ws URL"),
        (["connect", "{scenario}", "--preset", "rasa-rest"], "--preset needs --ws URL"),
        (["connect", "{scenario}", "--ws", "http://x/ws"], "must start with ws:// or wss://"),
        (["connect", "{scenario}", "--webhook", "http://x", "--preset", "nope"], "unknown preset"),
        (["connect", "{missing}", "--demo-bot"], "no such scenario file"),
        (["connect", "{scenario}", "--profile", "{missing}"], "no such bot profile file"),
    ],
)
async def test_usage_errors_are_one_line_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    scenario = write_scenario(tmp_path)
    missing = tmp_path / "missing.toml"
    filled = [a.format(scenario=scenario, missing=missing) for a in argv]
    code = await run_cli([*filled, "--headless"])
    seen = capsys.readouterr()
    assert code == 2
    assert seen.err.count("\n") == 1 and message in seen.err
    assert seen.err.startswith("convsim: error: ")


async def test_without_headless_or_a_terminal_it_falls_back_to_headless(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out = write_scenario(tmp_path), tmp_path / "run.jsonl"
    async with DemoBotServer() as bot:
        code = await run_cli(["connect", str(scenario), "--ws", bot.ws_url, "--out", str(out)])
    seen = capsys.readouterr()
    assert code == 0
    assert "convsim: stdout is not a terminal; running headless" in seen.err
    assert "Outcome:    resolved" in seen.out


def test_connect_is_registered_with_its_options() -> None:
    args = build_parser().parse_args(["connect", "--demo-bot", "--headless"])
    assert args.scenario is None and args.demo_bot == "ws" and args.headless
    args = build_parser().parse_args(["connect", "s.toml", "--webhook", "http://b", "--seed", "4"])
    assert args.webhook == "http://b" and args.seed == 4 and args.demo_bot is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["connect", "s.toml", "--ws", "ws://a", "--webhook", "http://b"])


async def test_the_scenarios_bot_table_names_the_bot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.jsonl"
    async with DemoBotServer() as bot:
        scenario = write_scenario(tmp_path)
        text = scenario.read_text().replace(
            "[bot.reconnect]", f'[bot]\nurl = "{bot.url}"\npreset = "rasa-rest"\n\n[bot.reconnect]'
        )
        scenario.write_text(text)
        code = await run_cli(["connect", str(scenario), "--headless", "--out", str(out)])
    seen = capsys.readouterr()
    assert code == 0, seen.err
    assert f"agent {bot.url}/webhooks/rest/webhook" in seen.out
    assert "Outcome:    resolved" in seen.out


async def test_a_malformed_reply_is_reported_and_the_chat_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out = write_scenario(tmp_path), tmp_path / "run.jsonl"
    async with DemoBotServer(garbage_every=2) as bot:
        code = await run_cli(
            ["connect", str(scenario), "--ws", bot.ws_url, "--headless", "--out", str(out)]
        )
    seen = capsys.readouterr()
    assert code == 0
    assert "Traceback" not in seen.err
    assert "unreadable bot message" in seen.out
    saved = read_transcript(out)
    assert saved.result is not None
    assert saved.result.protocol_errors, "the garbage frame is recorded with an excerpt"
    assert saved.result.conversation.outcome is not None  # the chat still reached an outcome
    assert saved.result.termination_reason is not TerminationReason.CHANNEL_ERROR


async def test_a_webhook_url_that_is_not_the_bot_ends_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out = write_scenario(tmp_path, response_timeout=20000 * MS), tmp_path / "run.jsonl"
    async with DemoBotServer() as bot:
        url = f"{bot.url}/not-the-webhook"
        started = asyncio.get_running_loop().time()
        code = await run_cli(
            ["connect", str(scenario), "--webhook", url, "--headless", "--out", str(out)]
        )
        elapsed = asyncio.get_running_loop().time() - started
    seen = capsys.readouterr()
    assert code == 2  # no bot at the URL: the exit code of an unreachable bot (issue 13 review)
    assert elapsed < 10000 * MS  # not the 20 s response timeout
    assert "Traceback" not in seen.err
    saved = read_transcript(out)
    assert saved.result is not None
    assert saved.result.termination_reason is TerminationReason.CHANNEL_ERROR
    assert "answered HTTP 404" in (saved.result.error or "")
