"""``convsim connect`` over Socket.IO and Direct Line as a user runs it (headless, real servers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from channels.demo_bot import DemoBotServer
from convsim_core import TerminationReason
from convsim_core.persistence import read_transcript
from tests.support.directline_server import SECRET, DirectLineServer
from tests.support.refund_scenario import refund_toml
from tests.support.socketio_bots import RasaSocketBot
from tests.support.timeouts import MS, TIMEOUT
from tui.cli import build_parser, main


def write_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "refund.toml"
    path.write_text(refund_toml(reconnect=True))
    return path


async def run_cli(argv: Sequence[str]) -> int:
    return await asyncio.wait_for(asyncio.to_thread(main, list(argv)), TIMEOUT * 4)


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["--demo-bot", "socketio"], "Agent "),
        (["--demo-bot", "socketio", "--preset", "chainlit"], "Agent "),
        (["--demo-bot", "directline"], "Agent "),
    ],
)
async def test_demo_bot_over_socketio_and_directline_reaches_the_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], shown: str
) -> None:
    scenario, out = write_scenario(tmp_path), tmp_path / "run.jsonl"
    code = await run_cli(["connect", str(scenario), *argv, "--headless", "--out", str(out)])
    seen = capsys.readouterr()
    assert code == 0, seen.err
    assert "Outcome:    resolved" in seen.out
    assert shown in seen.out
    saved = read_transcript(out)
    assert saved.result is not None
    assert saved.result.termination_reason is TerminationReason.OUTCOME_REACHED
    assert saved.result.protocol_errors == ()


async def test_socketio_url_reaches_the_demo_bot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out = write_scenario(tmp_path), tmp_path / "run.jsonl"
    async with DemoBotServer() as bot:
        argv = ["connect", str(scenario), "--socketio", bot.url, "--headless", "--out", str(out)]
        code = await run_cli(argv)
        assert bot.received  # the conversation went over Socket.IO to the demo's brain
    seen = capsys.readouterr()
    assert code == 0, seen.err
    assert "Outcome:    resolved" in seen.out


async def test_socketio_server_gone_mid_conversation_saves_the_transcript(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out = write_scenario(tmp_path), tmp_path / "run.jsonl"
    bot = RasaSocketBot()
    await bot.start()
    argv = ["connect", str(scenario), "--socketio", bot.url, "--headless", "--out", str(out)]
    running = asyncio.create_task(run_cli(argv))
    while not bot.received:  # noqa: ASYNC110 - the CLI runs in a thread; nothing to await
        await asyncio.sleep(10 * MS)
    await bot.stop()
    code = await running
    seen = capsys.readouterr()
    assert code == 1
    assert f"convsim: lost the bot at {bot.url}" in seen.err
    assert "gave up after 2 reconnect attempt(s)" in seen.err
    assert read_transcript(out).result is not None


async def test_directline_secret_is_never_in_the_transcript_or_the_logs(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("DIRECTLINE_SECRET", SECRET)
    scenario, out = write_scenario(tmp_path), tmp_path / "run.jsonl"
    async with DirectLineServer(welcome="Hello from Azure!") as server:
        url = server.url + "/v3/directline"
        argv = ["connect", str(scenario), "--directline", url, "--max-messages", "4"]
        code = await run_cli([*argv, "--headless", "--out", str(out)])
        tokens = list(server.tokens)
    seen = capsys.readouterr()
    assert code == 0, seen.err
    assert "Hello from Azure!" in seen.out
    assert f"Bearer {SECRET}" in server.authorizations  # it was used...
    written = out.read_text(encoding="utf-8")
    # The test server's own access log shows the stream URL it was asked for; that is the
    # service's log, not convsim's.
    ours = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("aiohttp.")
    )
    assert "Direct Line conversation" in ours
    everything = [written, seen.out, seen.err, ours]
    for text in everything:  # ...and never shown, nor any token
        assert SECRET not in text
        assert not any(token in text for token in tokens)
    assert "echo: Hi, I was charged twice" in written


async def test_directline_without_the_secret_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIRECTLINE_SECRET", raising=False)
    scenario = write_scenario(tmp_path)
    code = await run_cli(
        ["connect", str(scenario), "--directline", "http://127.0.0.1:9", "--headless"]
    )
    seen = capsys.readouterr()
    assert code == 2
    assert seen.err.count("\n") == 1
    assert "environment variable DIRECTLINE_SECRET is not set" in seen.err


def test_the_new_options_are_registered() -> None:
    args = build_parser().parse_args(["connect", "s.toml", "--socketio", "http://b"])
    assert args.socketio == "http://b" and args.directline is None
    args = build_parser().parse_args(["connect", "--demo-bot", "directline"])
    assert args.demo_bot == "directline"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["connect", "s.toml", "--socketio", "http://a", "--ws", "ws://b"])
    args = build_parser().parse_args(["batch", "s.toml", "--directline", "http://b"])
    assert args.directline == "http://b"


@pytest.mark.parametrize("transport", ["socketio", "directline"])
async def test_batch_against_the_demo_bot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], transport: str
) -> None:
    scenario, out = write_scenario(tmp_path), tmp_path / "batch"
    argv = ["batch", str(scenario), "--runs", "6", "--concurrency", "6", "--demo-bot", transport]
    code = await run_cli([*argv, "--out", str(out), "--headless"])
    seen = capsys.readouterr()
    assert code == 0, seen.err
    assert "refund-demo-bot: resolved 6 (100%)" in seen.out


async def test_wrong_directline_secret_is_exit_2_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIRECTLINE_SECRET", "not-it")
    scenario = write_scenario(tmp_path)
    async with DirectLineServer() as server:
        url = server.url + "/v3/directline"
        code = await run_cli(["connect", str(scenario), "--directline", url, "--headless"])
        started = [c for c in server.conversations.values() if c.activities]
    seen = capsys.readouterr()
    assert code == 2
    assert seen.err.count("\n") == 1 and "refused the secret in $DIRECTLINE_SECRET" in seen.err
    assert "not-it" not in seen.err and started == []


@pytest.mark.parametrize("kind", ["socketio", "directline"])
def test_a_recorded_batch_target_of_the_new_kinds_reads_back(kind: str) -> None:
    from tui.wiring.bots import BotTarget

    target = BotTarget(kind, "http://127.0.0.1:9", None)
    assert BotTarget.from_dict(target.to_dict()) == target


@pytest.mark.parametrize("command", ["connect", "batch"])
@pytest.mark.parametrize(
    ("demo", "preset", "kinds"),
    [
        ("socketio", "directline", "directline bots, but --demo-bot socketio speaks socketio"),
        ("directline", "chainlit", "socketio bots, but --demo-bot directline speaks directline"),
        ("ws", "rasa-socketio", "socketio bots, but --demo-bot ws speaks websocket"),
    ],
)
async def test_demo_bot_with_a_preset_of_another_transport_is_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    demo: str,
    preset: str,
    kinds: str,
) -> None:
    scenario, out = write_scenario(tmp_path), tmp_path / "out"
    argv = [command, str(scenario), "--demo-bot", demo, "--preset", preset, "--headless"]
    code = await run_cli([*argv, "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert f"convsim: error: --preset {preset} is for {kinds} (its presets: " in err[0]
    assert "127.0.0.1" not in err[0]
    assert not out.exists()
