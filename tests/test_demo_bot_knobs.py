"""The demo bot's misbehaviour knobs (for other tests' failure cases) and its reply pacing."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from channels.demo_bot import DemoBotServer
from channels.demo_bot.server import GARBAGE_BYTES, GARBAGE_TEXT
from tests.support.timeouts import MS, TIMEOUT
from tests.test_demo_bot_protocols import Recorder, expected, recv_json, ws_turn


def message(session: str, text: str) -> str:
    return json.dumps({"type": "message", "session_id": session, "text": text})


# -- drop_after ---------------------------------------------------------------------------------


async def test_drop_after_cuts_the_ws_connection_once_without_a_close_frame() -> None:
    async with DemoBotServer(drop_after=2) as bot:
        async with connect(bot.ws_url) as ws:
            await ws.send(message("d", "hello"))
            assert [f["text"] for f in await ws_turn(ws) if f["type"] == "message"] == (
                expected("hello")[0]
            )
            await ws.send(message("d", "Where is my order?"))
            with pytest.raises(ConnectionClosedError) as cut:
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert cut.value.rcvd is None  # abrupt: no close frame from the bot
        assert bot.dropped and bot.received_for("d") == 2
        # Only once: a reconnecting client keeps its session and is never cut again.
        async with connect(bot.ws_url) as ws:
            for line in ("Where is my order?", "A-1042", "thanks"):
                await ws.send(message("d", line))
                await ws_turn(ws)
        assert bot.received_for("d") == 5


async def test_drop_after_applies_to_plain_ws_too() -> None:
    async with DemoBotServer(drop_after=1) as bot:
        async with connect(bot.plain_ws_url) as ws:
            await ws.send("hello")
            with pytest.raises(ConnectionClosedError):
                await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert bot.dropped and bot.replies_sent == 0


# -- garbage_every ------------------------------------------------------------------------------


async def test_garbage_every_sends_a_non_json_frame_before_every_nth_reply() -> None:
    async with (
        DemoBotServer(garbage_every=2, burst=4, typing_events=False) as bot,
        connect(bot.ws_url) as ws,
    ):
        await ws.send(message("g", "hello"))
        raw = [await asyncio.wait_for(ws.recv(), TIMEOUT) for _ in range(6)]
        # The connection carries on afterwards.
        await ws.send(message("g", "Where is my order?"))
        next_turn = [await asyncio.wait_for(ws.recv(), TIMEOUT) for _ in range(5)]
    assert [r == GARBAGE_TEXT for r in raw] == [False, True, False, False, True, False]
    replies = [json.loads(r) for r in raw if r != GARBAGE_TEXT]
    assert [r["final"] for r in replies] == [False, False, False, True]
    assert GARBAGE_TEXT in next_turn
    assert bot.garbage_sent == 4


async def test_garbage_on_plain_ws_is_a_binary_frame() -> None:
    count = len(expected("hello")[0])
    async with (
        DemoBotServer(garbage_every=1) as bot,
        connect(bot.plain_ws_url) as ws,
    ):
        await ws.send("hello")
        frames = [await asyncio.wait_for(ws.recv(), TIMEOUT) for _ in range(2 * count)]
    assert frames[0::2] == [GARBAGE_BYTES] * count
    assert frames[1::2] == expected("hello")[0]


async def test_garbage_on_async_webhook_is_a_signed_non_json_callback() -> None:
    async with (
        DemoBotServer(garbage_every=1, secret="k") as bot,
        Recorder() as callback,
        aiohttp.ClientSession() as http,
    ):
        body = {"session_id": "a", "text": "hello", "callback_url": callback.url}
        async with http.post(f"{bot.url}/webhook/async", json=body) as response:
            assert response.status == 202
        first = await callback.next()
        second = await callback.next()
    assert first.body == GARBAGE_TEXT.encode()
    assert ",sha256=" in first.headers["X-Convsim-Signature"]  # t=...,n=...,sha256=...
    assert second.json()["text"] == expected("hello")[0][0]


# -- slow_seconds, reply_delay ------------------------------------------------------------------


async def test_slow_seconds_delays_the_whole_turn_typing_included() -> None:
    async with DemoBotServer(slow_seconds=0.4) as bot, connect(bot.ws_url) as ws:
        started = time.monotonic()
        await ws.send(message("s", "hello"))
        first = await recv_json(ws)
        waited = time.monotonic() - started
    assert first["type"] == "typing"
    assert 0.4 <= waited < 0.4 + TIMEOUT


async def test_reply_delay_paces_each_message_after_its_typing_frame() -> None:
    async with DemoBotServer(reply_delay=200 * MS) as bot, connect(bot.ws_url) as ws:
        started = time.monotonic()
        await ws.send(message("p", "hello"))
        frames = await ws_turn(ws)
        elapsed = time.monotonic() - started
    replies = [f for f in frames if f["type"] == "message"]
    assert [f["type"] for f in frames] == ["typing", "message"] * len(replies)
    assert elapsed >= 0.2 * len(replies)


# -- burst --------------------------------------------------------------------------------------


async def test_burst_pads_a_turn_keeping_the_real_last_message_last() -> None:
    (replies,) = expected("hello")
    async with DemoBotServer(burst=5) as bot, aiohttp.ClientSession() as http:
        body = {"session_id": "b", "text": "hello"}
        async with http.post(f"{bot.url}/webhook", json=body) as response:
            texts = [r["text"] for r in (await response.json())["replies"]]
    assert len(texts) == 5
    assert texts[0] == replies[0] and texts[-1] == replies[-1]
    assert all(t.startswith("One moment") for t in texts[1:-1])


async def test_burst_of_one_merges_the_turn_into_a_single_final_message() -> None:
    (replies,) = expected("hello")
    async with DemoBotServer(burst=1, typing_events=False) as bot, connect(bot.ws_url) as ws:
        await ws.send(message("one", "hello"))
        (frame,) = await ws_turn(ws)
    assert frame["text"] == " ".join(replies) and frame["final"] is True


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "knobs",
    [{"drop_after": 0}, {"garbage_every": 0}, {"burst": 0}, {"slow_seconds": -1.0}],
)
def test_nonsense_knob_values_are_rejected(knobs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        DemoBotServer(**knobs)  # type: ignore[arg-type]


def test_a_nonsense_knob_is_refused_when_set_later_too() -> None:
    turns = DemoBotServer(burst=2).turns
    with pytest.raises(ValueError, match="burst must be at least 1, got 0"):
        turns.burst = 0
    with pytest.raises(ValueError, match="reply_delay cannot be negative"):
        turns.reply_delay = -0.5
    assert (turns.burst, turns.reply_delay) == (2, 0.0)


async def test_knobs_are_off_by_default() -> None:
    async with DemoBotServer() as bot, connect(bot.ws_url) as ws:
        for line in ("hello", "Where is my order?", "A-1042"):
            await ws.send(message("n", line))
            frames = await ws_turn(ws)
            assert all(f["type"] in ("typing", "message") for f in frames)
    assert bot.garbage_sent == 0 and not bot.dropped
