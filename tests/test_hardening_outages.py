"""Item 5 of issue 16: a short bot outage pauses and retries; what cannot work is refused first."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from channels.demo_bot import DemoBotServer
from convsim_core.batch import collect
from tests.support.outage import restart
from tests.support.ports import free_port
from tests.support.refund_scenario import refund_file as refund
from tests.support.timeouts import MS, TIMEOUT
from tui.cli import main


async def test_a_bot_restart_mid_batch_is_waited_out_not_recorded_as_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    folder = tmp_path / "batch"
    url = f"ws://127.0.0.1:{port}/ws"
    # No reconnects of its own: a dropped conversation is lost, only the batch can retry it.
    scenario = refund(tmp_path, extra="\n[bot.reconnect]\nattempts = 0\n")
    argv = ["batch", str(scenario), "--ws", url, "--runs", "24", "-c", "3"]
    bot = DemoBotServer(port=port)
    await bot.start()
    batch = asyncio.create_task(
        asyncio.to_thread(main, [*argv, "--headless", "--out", str(folder)])
    )
    try:
        async with asyncio.timeout(TIMEOUT * 4):
            while len(list(folder.glob("*.jsonl"))) < 6:  # noqa: ASYNC110 - files, no event
                await asyncio.sleep(20 * MS)
        bot = await restart(bot, port)  # away for a second, in the middle of conversations
        code = await asyncio.wait_for(batch, TIMEOUT * 12)
    finally:
        await bot.stop()
    err = capsys.readouterr().err
    assert code == 0, err
    logged = [r.getMessage() for r in caplog.records]
    assert any("the bot is unreachable" in m for m in logged), logged
    assert any("resuming the batch" in m for m in logged), logged
    records = collect([folder]).records
    assert len(records) == 24
    assert all(r.finished and r.error is None for r in records), [
        (r.run_id, r.termination, r.error) for r in records if r.error
    ]
    assert list(folder.glob("*.partial-*.jsonl"))  # the interrupted attempts, kept aside


def test_resume_retry_errors_reruns_conversations_that_ended_in_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "batch"
    assert main(["batch", "demo", "--runs", "4", "--headless", "--out", str(folder)]) == 0
    failed = sorted(folder.glob("demo-*.jsonl"))[:2]
    for path in failed:
        lines = path.read_text().splitlines()
        result = json.loads(lines[-1])
        result["termination_reason"] = "channel_error"
        result["error"] = "ChannelError: cannot reach ws://127.0.0.1:1/ws: refused"
        path.write_text("\n".join([*lines[:-1], json.dumps(result)]) + "\n")
    capsys.readouterr()
    # Without --retry-errors the errors stand (and the exit code says so).
    assert main(["batch", "--resume", "--headless", "--out", str(folder)]) == 1
    assert "4 finished, 0 to run" in capsys.readouterr().err
    code = main(["batch", "--resume", "--retry-errors", "--headless", "--out", str(folder)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "2 finished, 2 to run" in err
    records = collect([folder]).records
    assert len(records) == 4 and all(r.error is None for r in records)
    assert len(list(folder.glob("*.partial-*.jsonl"))) == 2


def test_retry_errors_needs_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["batch", "demo", "--retry-errors", "--out", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert code == 2 and "--retry-errors goes with --resume" in err


def test_batch_llm_without_a_key_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code = main(["batch", "demo", "--llm", "--runs", "5", "--headless", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--llm needs an API key" in err
    assert not list(tmp_path.glob("*.jsonl"))


def callback_extra(port: int, settle: float) -> str:
    return (
        f'\n[bot]\nresponse_mode = "callback"\nsettle_seconds = {settle}\n'
        f"[bot.callback]\nport = {port}\n"
    )


async def test_one_fixed_callback_port_serves_scenarios_with_the_same_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    profile = tmp_path / "bot.toml"
    async with DemoBotServer() as bot:
        profile.write_text(
            f'url = "{bot.url}"\npreset = "generic-json"\nresponse_mode = "callback"\n'
            f"[callback]\nport = {port}\n"
        )
        first, second = refund(tmp_path, "a.toml"), refund(tmp_path, "b.toml")
        argv = ["batch", str(first), str(second), "--profile", str(profile), "--runs", "3"]
        code = await asyncio.wait_for(
            asyncio.to_thread(main, [*argv, "--headless", "--out", str(tmp_path / "out")]),
            TIMEOUT * 6,
        )
    err = capsys.readouterr().err
    assert code == 0, err
    records = collect([tmp_path / "out"]).records
    assert len(records) == 6 and all(r.error is None for r in records)


async def test_a_fixed_callback_port_two_different_scenarios_need_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    first = refund(tmp_path, "a.toml", callback_extra(port, 0.05))
    second = refund(tmp_path, "b.toml", callback_extra(port, 0.1))
    async with DemoBotServer() as bot:
        argv = ["batch", str(first), str(second), "--webhook", bot.url, "--runs", "25"]
        code = await asyncio.to_thread(main, [*argv, "--headless", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and f"callback port 127.0.0.1:{port}" in err
    assert not list((tmp_path / "o").glob("*.jsonl"))


async def test_a_callback_port_in_use_is_cannot_listen_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        scenario = refund(tmp_path, "a.toml", callback_extra(port, 0.05))
        async with DemoBotServer() as bot:
            argv = ["connect", str(scenario), "--webhook", bot.url, "--headless"]
            code = await asyncio.to_thread(main, [*argv, "--out", str(tmp_path / "r.jsonl")])
            batch = ["batch", str(scenario), "--webhook", bot.url, "--headless", "--runs", "2"]
            batch_code = await asyncio.to_thread(main, [*batch, "--out", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert code == 2 and batch_code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert all(f"cannot listen on 127.0.0.1:{port}" in line for line in lines)
    assert "lost the bot" not in err


async def test_a_port_taken_after_the_check_still_says_cannot_listen_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from channels.factory import make_channel
    from convsim_core.hybrid_builder import build_hybrid_runner
    from convsim_core.scenario import load_scenario
    from tui.commands.connect import _exit_code
    from tui.wiring.bots import BotChoice

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        scenario = load_scenario(refund(tmp_path, "a.toml", callback_extra(port, 0.05)))
        async with DemoBotServer() as bot:
            profile = BotChoice(url=("webhook", bot.url)).profile_for(scenario)
            channel = make_channel(profile)
            try:
                result = await build_hybrid_runner(scenario, channel, seed=1).run()
            finally:
                await channel.close()
    assert result.error is not None
    assert result.error.startswith(f"cannot listen on 127.0.0.1:{port} for the bot's callbacks")
    assert _exit_code(result, profile.url, None) == 2
    err = capsys.readouterr().err
    assert err.startswith("convsim: error: cannot listen on") and "lost the bot" not in err


async def test_a_bot_that_never_comes_back_ends_the_pause_and_records_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from convsim_core.backoff import Backoff
    from convsim_core.batch import BatchExecutor, PlannedRun
    from convsim_core.batch.retry import RetryPolicy
    from convsim_core.channel import ChannelError

    probes = 0

    async def probe() -> bool:
        nonlocal probes
        probes += 1
        return False

    def factory(_scenario: object, _run: PlannedRun, _transcript: object) -> object:
        raise ChannelError("cannot reach ws://127.0.0.1:1/ws: connection refused")

    runs = [PlannedRun(f"x-{i:04d}", "x", i, i) for i in range(12)]
    executor = BatchExecutor(
        runs,
        {"x": None},
        factory,  # type: ignore[arg-type]
        folder=tmp_path,
        concurrency=4,
        retry=RetryPolicy(
            attempts=3,
            backoff=Backoff(base=20 * MS, ceiling=50 * MS),
            max_pause=300 * MS,
            probe=probe,
        ),
    )
    async with asyncio.timeout(TIMEOUT * 2):
        counts = await executor.run()
    # One pause of max_pause for the whole batch, not one per conversation and attempt.
    assert executor.outages == 1
    assert counts.errors == 12 and counts.done == 0
    assert probes >= 1
    assert any("still unreachable" in r.getMessage() for r in caplog.records)
    records = collect([tmp_path]).records
    assert len(records) == 12 and all(r.termination == "channel_error" for r in records)
