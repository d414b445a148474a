"""The demo bot's Socket.IO (Rasa, Chainlit) and Direct Line fronts, through convsim's channels."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from channels.demo_bot import DemoBotServer
from channels.demo_bot.socketio_front import quick_replies
from channels.factory import make_channel
from convsim_core.models import Message, ParticipantRole
from tests.support.timeouts import MS, TIMEOUT
from tests.support.wire_bots import Hooks
from tui.commands.connect import demo_bot_profile

OPENING = "Hi, I was charged twice for my subscription this month. Can you refund one of them?"


def customer(text: str) -> Message:
    return Message(content=text, timestamp=datetime.now(UTC), sender=ParticipantRole.CUSTOMER)


@pytest.fixture
async def bot() -> AsyncIterator[DemoBotServer]:
    async with DemoBotServer() as running:
        yield running


@pytest.mark.parametrize(
    ("kind", "preset"),
    [("socketio", None), ("socketio", "chainlit"), ("directline", None)],
)
async def test_each_front_answers_like_the_websocket_bot(
    bot: DemoBotServer, kind: str, preset: str | None
) -> None:
    channel = make_channel(demo_bot_profile(bot.url, kind=kind, preset=preset))
    session = await channel.create_session()
    hooks = Hooks(session)
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer(OPENING))
        await hooks.wait_for(lambda: any("email address" in text for text in hooks.texts))
        await session.send(customer("It's dana.whitfield@example.com."))
        await hooks.wait_for(lambda: any("has been refunded" in text for text in hooks.texts))
    await channel.close()
    assert hooks.errors == []
    assert list(bot.received.values()) == [2]


def test_quick_replies_only_for_yes_or_no_questions() -> None:
    assert [b["title"] for b in quick_replies("Can I help with anything else today?")] == [
        "Yes",
        "No",
    ]
    assert quick_replies("Could you tell me the email address on the account?") == []
    assert quick_replies("Anything else, just ask.") == []


async def test_directline_front_checks_tokens(bot: DemoBotServer) -> None:
    base = f"{bot.url}/v3/directline"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/conversations") as response:
            assert response.status == 201
            started = await response.json()
        cid, token = started["conversationId"], started["token"]
        assert started["streamUrl"].startswith("ws://")
        url = f"{base}/conversations/{cid}/activities"
        wrong = {"Authorization": "Bearer nope"}
        async with http.get(url, headers=wrong) as response:
            assert response.status == 403
        headers = {"Authorization": f"Bearer {token}"}
        activity = {"type": "message", "from": {"id": "u1"}, "text": "hello"}
        async with http.post(url, json=activity, headers=headers) as response:
            assert (await response.json())["id"] == f"{cid}|0000001"
        async with http.post(url, data=b"{", headers=headers) as response:
            assert response.status == 400
        async with http.post(f"{base}/tokens/refresh", headers=headers) as response:
            refreshed = await response.json()
        assert refreshed["conversationId"] == cid and refreshed["token"] != token
        async with http.get(url, headers=headers) as response:
            assert response.status == 403  # the old token went with the refresh


async def test_bad_socketio_events_are_counted(bot: DemoBotServer) -> None:
    import socketio  # type: ignore[import-untyped]

    client = socketio.AsyncClient(reconnection=False, handle_sigint=False)
    await client.connect(bot.url, transports=["websocket"], wait_timeout=TIMEOUT)
    await client.emit("user_uttered", {"text": "wrong key"})
    async with asyncio.timeout(TIMEOUT):
        while bot.bad_requests == 0:  # noqa: ASYNC110 - the server counts, nothing to await
            await asyncio.sleep(10 * MS)
    await client.disconnect()
