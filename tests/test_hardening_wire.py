"""Item 11 of issue 16 on the wire: redirects, unroutable frames, undelivered messages."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from aiohttp import web

from convsim_core.persistence import read_transcript
from tests.support.timeouts import MS, TIMEOUT
from tui.cli import main

SCENARIO = f"""
name = "redirected"
title = "A bot behind a redirect"
max_messages = 4
initial_message = "hello"

[customer]
kind = "scripted"
turns = ["still there?"]

[[outcomes]]
name = "done"
description = "never"
keywords = ["zzz-never"]

[termination]
response_timeout = {2000 * MS}
inactivity_timeout = {2000 * MS}
max_wall_time = {20_000 * MS}
typing_delay = false
"""


async def test_a_302_is_a_protocol_error_naming_the_location_not_a_get_reply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gets: list[str] = []

    async def webhook(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/elsewhere")

    async def elsewhere(request: web.Request) -> web.Response:
        gets.append(request.method)
        return web.json_response([{"text": "a GET page taken for the bot's reply"}])

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    app.router.add_route("*", "/elsewhere", elsewhere)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "run.jsonl"
    try:
        url = f"http://127.0.0.1:{site.port}/webhook"
        argv = ["connect", str(scenario), "--webhook", url, "--preset", "rasa-rest"]
        code = await asyncio.wait_for(
            asyncio.to_thread(main, [*argv, "--headless", "--out", str(out)]), TIMEOUT * 4
        )
    finally:
        await runner.cleanup()
    seen = capsys.readouterr()
    assert gets == []  # the redirect was never followed
    assert code in (0, 1), seen.err
    assert "a GET page" not in seen.out
    assert "HTTP 302 redirect to /elsewhere" in seen.out
    saved = read_transcript(out)
    assert all("GET page" not in m.content for m in saved.messages)
    assert saved.result is not None
    assert any("redirect to /elsewhere" in e for e in saved.result.protocol_errors)


def test_unroutable_frame_warnings_are_aggregated(caplog: pytest.LogCaptureFixture) -> None:
    from channels.unroutable import UnroutableLog

    caplog.set_level(logging.WARNING)
    now = [0.0]
    log = UnroutableLog(clock=lambda: now[0])
    for number in range(3000):
        log.frame_dropped("unknown session", f"frame {number}")
    now[0] = 100.0
    log.frame_dropped("unknown session", "late frame")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) <= 7, lines
    assert any("2995 more" in line or "more unroutable" in line for line in lines), lines
    assert log.dropped == 3001
    json.dumps(lines)  # plain strings


async def test_the_demo_bot_forgets_finished_sessions_on_every_protocol() -> None:
    import aiohttp
    from websockets.asyncio.client import connect

    from channels.demo_bot import DemoBotServer

    async with DemoBotServer() as bot, aiohttp.ClientSession() as http:
        bot.turns.max_sessions = 50
        for number in range(400):  # HTTP: no end signal; the oldest idle sessions are dropped
            body = {"session_id": f"s{number}", "text": "Hi, I was charged twice"}
            async with http.post(f"{bot.url}/webhook", json=body) as response:
                assert response.status == 200
        assert bot.brain.session_count <= 51 and bot.turns.session_count <= 51
        assert len(bot.received) <= 50
        bot.turns.max_sessions = 10_000
        before = bot.brain.session_count
        async with connect(bot.ws_url) as ws:  # multiplexed WebSocket: several sessions
            for sid in ("w1", "w2", "w3"):
                await ws.send(json.dumps({"type": "message", "session_id": sid, "text": "hi"}))
            for _ in range(6):
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert bot.brain.session_count >= before + 1
        async with asyncio.timeout(TIMEOUT):
            while bot.brain.session_count > before:  # noqa: ASYNC110 - no event to wait on
                await asyncio.sleep(10 * MS)
        assert bot.brain.session_count == before


async def test_a_customer_message_the_bot_never_got_is_marked_undelivered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from channels.demo_bot import DemoBotServer
    from convsim_core import TerminationReason
    from tests.support.refund_scenario import refund_toml

    scenario = tmp_path / "refund.toml"
    scenario.write_text(refund_toml(reconnect=True))
    out = tmp_path / "run.jsonl"
    bot = DemoBotServer()
    await bot.start()

    async def stop_after_the_first_answer() -> None:
        async with asyncio.timeout(TIMEOUT * 3):
            while bot.turns.replies_sent < 1:  # noqa: ASYNC110 - no event to wait on
                await asyncio.sleep(5 * MS)
        await bot.stop()  # gone for good: the customer's next message cannot be posted

    stopper = asyncio.create_task(stop_after_the_first_answer())
    try:
        argv = ["connect", str(scenario), "--webhook", bot.url, "--preset", "generic-json"]
        code = await asyncio.wait_for(
            asyncio.to_thread(main, [*argv, "--headless", "--out", str(out)]), TIMEOUT * 4
        )
    finally:
        await stopper
    seen = capsys.readouterr()
    assert code == 1, seen.err
    assert "not delivered to the bot" in seen.out
    saved = read_transcript(out)
    assert saved.result is not None
    assert saved.result.termination_reason is TerminationReason.CHANNEL_ERROR
    assert "the last 1 customer message(s) were not delivered" in (
        saved.result.termination_detail or ""
    )
    assert saved.messages[-1].sender.value == "customer"
    assert (
        sum(bot.received.values())
        == len([m for m in saved.messages if m.sender.value == "customer"]) - 1
    )
