"""WebhookChannel in callback mode: generic async bots, Bot Framework bots, rejected callbacks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from channels.profile import BotProfile, profile_for_url
from channels.signing import SIGNATURE_HEADER, sign
from channels.webhook import WebhookChannel
from convsim_core.channel import Session
from convsim_core.models import Message, ParticipantRole
from tests.support.timeouts import MS, TIMEOUT
from tests.support.wire_bots import Hooks, HttpBot

SECRET = b"callback-secret"


def customer(text: str) -> Message:
    return Message(content=text, timestamp=datetime.now(UTC), sender=ParticipantRole.CUSTOMER)


def async_profile(url: str, **bot: Any) -> BotProfile:
    base = {"response_mode": "callback", **bot}
    return profile_for_url(url, kind="webhook", preset="generic-json", base=base)


def bf_profile(url: str, **bot: Any) -> BotProfile:
    return profile_for_url(url, kind="webhook", preset="botframework", base=bot)


@pytest.fixture
async def bot() -> AsyncIterator[HttpBot]:
    async with HttpBot() as running:
        yield running


async def test_generic_async_callbacks_reach_the_right_session(bot: HttpBot) -> None:
    channel = WebhookChannel(async_profile(f"http://127.0.0.1:{bot.port}"))
    one, two = await channel.create_session(), await channel.create_session()
    hooks_one, hooks_two = Hooks(one), Hooks(two)
    async with asyncio.timeout(TIMEOUT):
        await one.send(customer("burst"))
        await two.send(customer("just me"))
        assert await hooks_one.texts_after(3) == ["part 1", "part 2", "part 3"]
        assert await hooks_two.texts_after(1) == ["echo: just me"]
        await hooks_one.wait_for(lambda: hooks_one.turns == 1)
        await hooks_two.wait_for(lambda: hooks_two.turns == 1)
    server = channel.callback_server
    assert server is not None
    await channel.close()
    assert hooks_one.log == ["part 1", "part 2", "part 3", "<turn>"]  # the final flag
    sent = [body for path, body in bot.received if path == "/webhook/async"]
    assert {body["callback_url"] for body in sent} == {server.callback_url}
    assert server.callback_url.startswith("http://127.0.0.1:")
    assert all(status == 200 for status, _ in bot.callback_answers)


async def test_signed_both_ways() -> None:
    async with HttpBot(secret=SECRET) as signed_bot:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CB_SECRET", SECRET.decode())
            profile = async_profile(
                signed_bot.url("/webhook/async"), signing_secret_env="CB_SECRET"
            )
            channel = WebhookChannel(profile)
            session = await channel.create_session()
        hooks = Hooks(session)
        async with asyncio.timeout(TIMEOUT):
            await session.send(customer("signed"))
            assert await hooks.texts_after(1) == ["echo: signed"]
        await channel.close()
    assert signed_bot.bad_signatures == 0  # our request verified by the bot
    assert signed_bot.callback_answers == [(200, {"status": "ok"})]  # its callback by us


async def test_botframework_bot_holding_its_response(bot: HttpBot) -> None:
    channel = WebhookChannel(bf_profile(f"http://127.0.0.1:{bot.port}"))
    session = await channel.create_session()
    hooks = Hooks(session)
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("burst"))
        await hooks.texts_after(3)
        # The bot answered 200 only after posting its replies: that ends the turn.
        await hooks.wait_for(lambda: hooks.turns == 1)
        await session.send(customer("thanks"))
        await hooks.texts_after(4)
        await hooks.wait_for(lambda: hooks.turns == 2)
    server = channel.callback_server
    assert server is not None
    await channel.close()
    assert hooks.log == ["part 1", "part 2", "part 3", "<turn>", "echo: thanks", "<turn>"]
    assert hooks.errors == []  # typing activities were filtered out
    activity = bot.received[0][1]
    assert activity["type"] == "message" and activity["text"] == "burst"
    assert activity["conversation"] == {"id": session.session_id}
    assert activity["serviceUrl"] == server.base_url
    assert activity["id"] and activity["timestamp"].endswith("Z")
    # every posted activity (typing too) got a connector ResourceResponse
    assert len(bot.callback_answers) == 6
    assert all(status == 200 and answer["id"] for status, answer in bot.callback_answers)


async def test_botframework_bot_answering_202_does_not_end_the_turn() -> None:
    async with HttpBot(hold_response=False) as async_bot:
        channel = WebhookChannel(bf_profile(async_bot.url("/api/messages")))
        session = await channel.create_session()
        hooks = Hooks(session)
        async with asyncio.timeout(TIMEOUT):
            await session.send(customer("hello"))
            assert await hooks.texts_after(1) == ["echo: hello"]
            await asyncio.sleep(50 * MS)
        await channel.close()
    assert hooks.turns == 0  # without a flag, the runner's settle time decides


async def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=body, headers=headers or {}) as response,
    ):
        return response.status


async def _callback_channel(bot: HttpBot, **bot_settings: Any) -> tuple[WebhookChannel, Session]:
    channel = WebhookChannel(async_profile(bot.url("/webhook/async"), **bot_settings))
    return channel, await channel.create_session()


@pytest.mark.parametrize(
    ("make_body", "headers", "status"),
    [
        (lambda sid: json.dumps({"session_id": sid, "text": "x"}).encode(), {}, 401),
        (
            lambda sid: json.dumps({"session_id": sid, "text": "x"}).encode(),
            {SIGNATURE_HEADER: "sha256=" + "0" * 64},
            401,
        ),
        (lambda sid: b'{"session_id": "nobody", "text": "x"}', None, 404),
        (lambda sid: json.dumps({"session_id": sid, "text": "x" * 5000}).encode(), None, 413),
        (lambda sid: b"{not json", None, 400),
        (lambda sid: b'{"text": "no session"}', None, 400),
        (lambda sid: json.dumps({"session_id": sid, "text": 5}).encode(), None, 400),
    ],
    ids=[
        "missing-signature",
        "bad-signature",
        "unknown-session",
        "oversized",
        "malformed",
        "unroutable",
        "wrong-type",
    ],
)
async def test_rejected_callbacks_are_never_delivered(
    bot: HttpBot,
    make_body: Any,
    headers: dict[str, str] | None,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CB_SECRET", SECRET.decode())
        channel, session = await _callback_channel(
            bot, signing_secret_env="CB_SECRET", max_body_bytes=4096
        )
    hooks = Hooks(session)
    server = channel.callback_server
    assert server is not None
    body: bytes = make_body(session.session_id)
    if headers is None:  # properly signed: the rejection is for another reason
        headers = {SIGNATURE_HEADER: sign(SECRET, body)}
    async with asyncio.timeout(TIMEOUT):
        assert await _post(server.callback_url, body, headers) == status
        # a good callback afterwards is the first and only thing delivered
        good = json.dumps({"session_id": session.session_id, "text": "good", "final": True})
        signed = {SIGNATURE_HEADER: sign(SECRET, good.encode())}
        assert await _post(server.callback_url, good.encode(), signed) == 200
        assert await hooks.texts_after(1) == ["good"]
    await channel.close()
    assert [m.content for m in (await session.get_conversation()).messages] == ["good"]
    # only a frame that reached its session is that session's protocol error
    assert len(hooks.errors) == (1 if status == 400 and b"5}" in body else 0)
    rejections = [r.getMessage() for r in caplog.records if "rejected callback" in r.getMessage()]
    assert len(rejections) == 1 and f"with HTTP {status}:" in rejections[0]


async def test_oversized_chunked_callback_is_413(bot: HttpBot) -> None:
    channel, session = await _callback_channel(bot, max_body_bytes=4096)
    server = channel.callback_server
    assert server is not None

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the size shows while reading
        yield b'{"session_id": "' + session.session_id.encode() + b'", "text": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    async with (
        asyncio.timeout(TIMEOUT),
        aiohttp.ClientSession() as http,
        http.post(server.callback_url, data=chunks()) as response,
    ):
        assert response.status == 413
    await channel.close()
    assert (await session.get_conversation()).messages == ()


async def test_late_callbacks_for_a_finished_session_are_acknowledged_not_404(
    bot: HttpBot,
) -> None:
    # Issue 10: a conversation convsim started is never answered 404 (it was before).
    channel, session = await _callback_channel(bot)
    server = channel.callback_server
    assert server is not None
    await session.close()
    body = json.dumps({"session_id": session.session_id, "text": "late"}).encode()
    stranger = json.dumps({"session_id": "never-started", "text": "who?"}).encode()
    async with asyncio.timeout(TIMEOUT):
        assert await _post(server.callback_url, body) == 200
        assert await _post(server.callback_url, stranger) == 404
    await channel.close()
    assert (await session.get_conversation()).messages == ()


async def test_botframework_route_uses_the_url_conversation_when_the_body_has_none(
    bot: HttpBot,
) -> None:
    channel = WebhookChannel(bf_profile(bot.url("/api/messages")))
    session = await channel.create_session()
    hooks = Hooks(session)
    server = channel.callback_server
    assert server is not None
    url = f"{server.base_url}/v3/conversations/{session.session_id}/activities"
    async with asyncio.timeout(TIMEOUT):
        assert await _post(url, b'{"type": "message", "text": "from the url"}') == 200
        assert await hooks.texts_after(1) == ["from the url"]
        missing = f"{server.base_url}/v3/conversations/nobody/activities/x1"
        assert await _post(missing, b'{"type": "message", "text": "lost"}') == 404
    await channel.close()


async def test_callback_server_on_a_fixed_port_and_stops_with_the_channel(
    bot: HttpBot, unused_tcp_port: int
) -> None:
    channel, _session = await _callback_channel(bot, callback={"port": unused_tcp_port})
    server = channel.callback_server
    assert server is not None and server.port == unused_tcp_port
    await channel.close()
    with pytest.raises(aiohttp.ClientConnectionError):
        async with asyncio.timeout(TIMEOUT):
            await _post(server.callback_url, b"{}")
