"""Hybrid batches against the real demo bot on 127.0.0.1 (WebSocket and webhook)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from channels.demo_bot import DemoBotServer
from convsim_core.batch import collect, read_manifest
from convsim_core.persistence import read_transcript
from tests.support.timeouts import MS, TIMEOUT
from tui.cli import main

FAST_SCENARIO = f"""
title = "Refund over the wire"
name = "wire"
max_messages = 16
seed = 11
initial_message = "Hi, I was charged twice for my March subscription. Can I get a refund?"

[customer]
kind = "offline"
persona = "Dana, calm."
[customer.facts]
name = "Dana Whitfield"
email = "dana.whitfield@example.com"
invoice_number = "INV-20931"

[[outcomes]]
name = "resolved"
description = "Refunded."
keywords = ["refunded"]
said_by = "agent"

[termination]
settle_seconds = {50 * MS}
typing_delay = false
response_timeout = {5000 * MS}
inactivity_timeout = {2000 * MS}
max_wall_time = {20_000 * MS}
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "wire.toml"
    path.write_text(FAST_SCENARIO, encoding="utf-8")
    return path


def _check_batch(folder: Path, runs: int, bot: DemoBotServer | None) -> None:
    records = collect([folder]).records
    assert len(records) == runs and all(r.finished for r in records)
    sessions = set()
    for record in records:
        transcript = read_transcript(record.path)
        assert transcript.header["runner"] == "HybridSimulationRunner"
        assert transcript.result is not None and transcript.result.error is None
        agent_lines = [m for m in transcript.messages if m.sender.value == "agent"]
        assert agent_lines, "the bot answered"
        sessions.add(record.run_id)
    if bot is not None:
        # Every conversation was its own session on the bot, with customer messages in it.
        assert len(bot.received) == runs
        assert all(count >= 1 for count in bot.received.values())
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["total"]["runs"] == runs and summary["total"]["errors"] == 0
    assert summary["total"]["outcomes"] == {"resolved": runs}  # the demo bot refunds


@pytest.mark.parametrize("transport", ["ws", "webhook"])
async def test_batch_against_the_demo_bot(
    tmp_path: Path, scenario_file: Path, transport: str
) -> None:
    out = tmp_path / "out"
    async with DemoBotServer() as bot:
        url = bot.ws_url if transport == "ws" else f"{bot.url}/webhook"
        preset = "demo-ws" if transport == "ws" else "generic-json"
        args = [
            "batch",
            str(scenario_file),
            "--runs",
            "6",
            "-c",
            "3",
            "--out",
            str(out),
            "--headless",
            f"--{transport}",
            url,
            "--preset",
            preset,
        ]
        async with asyncio.timeout(TIMEOUT * 12):
            code = await asyncio.to_thread(main, args)
        assert code == 0
        _check_batch(out, 6, bot)
    settings = read_manifest(out).settings
    assert settings["mode"] == "hybrid"
    assert settings["bot"]["url"] == url and settings["bot"]["preset"] == preset


async def test_batch_with_the_in_process_demo_bot(tmp_path: Path, scenario_file: Path) -> None:
    out = tmp_path / "out"
    args = ["batch", str(scenario_file), "--runs", "4", "-c", "4", "--out", str(out)]
    async with asyncio.timeout(TIMEOUT * 12):
        code = await asyncio.to_thread(main, [*args, "--headless", "--demo-bot", "webhook"])
    assert code == 0
    _check_batch(out, 4, None)


async def test_unreachable_bot_is_one_line(
    tmp_path: Path, scenario_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with DemoBotServer() as bot:
        port = bot.port
    args = ["batch", str(scenario_file), "--out", str(tmp_path / "o"), "--headless"]
    code = await asyncio.to_thread(main, [*args, "--ws", f"ws://127.0.0.1:{port}/ws"])
    assert code == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "Traceback" not in err
