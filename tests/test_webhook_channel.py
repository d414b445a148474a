"""WebhookChannel with sync bots (replies in the HTTP response) on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.factory import check_reachable, make_channel
from channels.profile import BotProfile, profile_for_url
from channels.webhook import WebhookChannel
from convsim_core.channel import ChannelError, ChannelState, Session
from convsim_core.models import Message, ParticipantRole
from tests.support.timeouts import MS, TIMEOUT
from tests.support.wire_bots import Hooks, HttpBot

FAST_RETRY = {"attempts": 4, "backoff": 50 * MS, "max_backoff": 200 * MS}


def customer(text: str) -> Message:
    return Message(content=text, timestamp=datetime.now(UTC), sender=ParticipantRole.CUSTOMER)


def profile(
    url: str, preset: str = "generic-json", env: dict[str, str] | None = None, **bot: Any
) -> BotProfile:
    base = {"reconnect": FAST_RETRY, **bot}
    return profile_for_url(url, kind="webhook", preset=preset, base=base, environ=env or {})


@pytest.fixture
async def bot() -> AsyncIterator[HttpBot]:
    async with HttpBot(huge_size=10_000) as running:
        yield running


async def open_session(channel_profile: BotProfile) -> tuple[WebhookChannel, Session, Hooks]:
    channel = make_channel(channel_profile)
    assert isinstance(channel, WebhookChannel)
    session = await channel.create_session()
    return channel, session, Hooks(session)


async def test_generic_json_sync_conversation(bot: HttpBot) -> None:
    channel, session, hooks = await open_session(profile(bot.url("/webhook")))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer('say "hi"\nplease'))
        assert await hooks.texts_after(1) == ['echo: say "hi"\nplease']
        await session.send(customer("burst"))
        await hooks.texts_after(4)
        await hooks.wait_for(lambda: hooks.turns == 2)
        conversation = await session.get_conversation()
    await channel.close()
    # one HTTP response is one bot turn
    assert hooks.log == ['echo: say "hi"\nplease', "<turn>", "part 1", "part 2", "part 3", "<turn>"]
    assert [m.sender for m in conversation.messages] == [
        ParticipantRole.CUSTOMER,
        ParticipantRole.AGENT,
        ParticipantRole.CUSTOMER,
        *[ParticipantRole.AGENT] * 3,
    ]
    assert bot.texts("/webhook") == ['say "hi"\nplease', "burst"]
    assert {body["session_id"] for _, body in bot.received} == {session.session_id}


async def test_rasa_rest_server(bot: HttpBot) -> None:
    channel, session, hooks = await open_session(profile(bot.url(""), preset="rasa-rest"))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("burst"))  # the bot adds an image-only item in the middle
        # Issue 10: the image is a message of its own, no longer skipped.
        assert await hooks.texts_after(4) == ["part 1", "", "part 2", "part 3"]
        await hooks.wait_for(lambda: hooks.turns == 1)
    await channel.close()
    assert bot.received == [
        ("/webhooks/rest/webhook", {"sender": session.session_id, "message": "burst"})
    ]
    assert hooks.errors == []


async def test_an_empty_answer_is_still_a_complete_turn(bot: HttpBot) -> None:
    channel, session, hooks = await open_session(profile(bot.url("/webhook")))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("empty"))
        await hooks.wait_for(lambda: hooks.turns == 1)
    await channel.close()
    assert hooks.texts == [] and hooks.errors == []


async def test_auth_header_from_the_environment_and_signed_requests() -> None:
    secret = b"shared-secret"
    env = {"BOT_TOKEN": "t0k3n", "BOT_SECRET": secret.decode()}
    async with HttpBot(secret=secret) as signed_bot:
        bot_profile = profile(
            signed_bot.url("/webhook"),
            env=env,
            headers={"Authorization": "Bearer ${BOT_TOKEN}"},
            signing_secret_env="BOT_SECRET",
        )
        channel = WebhookChannel(bot_profile)
        # the channel reads the environment itself when it starts
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            session = await channel.create_session()
        hooks = Hooks(session)
        async with asyncio.timeout(TIMEOUT):
            await session.send(customer("signed"))
            assert await hooks.texts_after(1) == ["echo: signed"]
        await channel.close()
    assert signed_bot.bad_signatures == 0
    assert signed_bot.texts("/webhook") == ["signed"]
    assert signed_bot.headers[0]["Authorization"] == "Bearer t0k3n"


async def test_a_wrong_secret_is_refused_by_the_bot_and_reported() -> None:
    async with HttpBot(secret=b"right") as signed_bot:
        bot_profile = profile(
            signed_bot.url("/webhook"), env={"S": "wrong"}, signing_secret_env="S"
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("S", "wrong")
            channel, session, hooks = await open_session(bot_profile)
        async with asyncio.timeout(TIMEOUT):
            await session.send(customer("forged"))
            await hooks.wait_for(lambda: hooks.turns == 1)
        await channel.close()
    assert signed_bot.bad_signatures == 1
    assert "bot answered HTTP 401" in str(hooks.errors[0])
    assert "bad signature" in hooks.errors[0].excerpt


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("500", "bot answered HTTP 500"),
        ("garbage", "frame is not JSON"),
        ("huge", "exceeds max_body_bytes (4096)"),
        ("huge-chunked", "exceeds max_body_bytes (4096)"),
    ],
)
async def test_bad_responses_are_protocol_errors_and_the_conversation_goes_on(
    bot: HttpBot, command: str, problem: str
) -> None:
    channel, session, hooks = await open_session(profile(bot.url("/webhook"), max_body_bytes=4096))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer(command))
        await session.send(customer("next"))
        assert await hooks.texts_after(1) == ["echo: next"]
        await hooks.wait_for(lambda: hooks.turns == 2)
    await channel.close()
    assert len(hooks.errors) == 1
    assert problem in str(hooks.errors[0])
    assert len(hooks.errors[0].excerpt) <= 120
    assert [m.content for m in (await session.get_conversation()).messages] == [
        command,
        "next",
        "echo: next",
    ]


async def test_a_slow_bot_times_out_without_hanging(bot: HttpBot) -> None:
    channel, session, hooks = await open_session(
        profile(bot.url("/webhook"), response_timeout=200 * MS)
    )
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("slow"))
        await session.send(customer("quick"))
        assert await hooks.texts_after(1) == ["echo: quick"]
        await channel.close()
    assert f"no HTTP response within {200 * MS:g} s" in str(hooks.errors[0])
    assert hooks.log == ["<turn>", "echo: quick", "<turn>"]


async def test_unreachable_bot_names_the_url(unused_tcp_port: int) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}/webhook"
    channel = WebhookChannel(profile(url))
    with pytest.raises(ChannelError, match=rf"^cannot reach {url}: .*(refused|failed)"):
        async with asyncio.timeout(TIMEOUT):
            await channel.create_session()
    await channel.close()


async def test_check_reachable_by_tcp_and_by_health_url(bot: HttpBot, unused_tcp_port: int) -> None:
    async with asyncio.timeout(TIMEOUT):
        await check_reachable(profile(bot.url("/webhook")))
        await check_reachable(profile(bot.url("/webhook"), health_url="/health"))
        missing = bot.url("/nope")
        with pytest.raises(ChannelError, match=rf"^cannot reach {missing}: .*HTTP 404"):
            await check_reachable(profile(bot.url("/webhook"), health_url="/nope"))
        down = f"ws://127.0.0.1:{unused_tcp_port}/ws"
        ws_profile = profile_for_url(down, kind="ws", preset="demo-ws", environ={})
        with pytest.raises(ChannelError, match=rf"^cannot reach {down}: "):
            await check_reachable(ws_profile)


async def test_a_bot_that_comes_back_gets_the_message_once(bot: HttpBot) -> None:
    channel, session, hooks = await open_session(profile(bot.url("/webhook")))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("first"))
        await hooks.texts_after(1)
        await bot.stop()
        await session.send(customer("while away"))
        await hooks.wait_for(lambda: hooks.saw(ChannelState.RECONNECTING))
        await bot.start(port=bot.port)
        assert await hooks.texts_after(2) == ["echo: first", "echo: while away"]
        await hooks.wait_for(lambda: hooks.saw(ChannelState.CONNECTED))
    await channel.close()
    assert bot.texts("/webhook") == ["first", "while away"]  # each exactly once


async def test_a_bot_that_stays_away_fails_the_session(bot: HttpBot) -> None:
    channel, session, hooks = await open_session(
        profile(bot.url("/webhook"), reconnect={"attempts": 2, "backoff": 20 * MS})
    )
    await bot.stop()
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("hello?"))
        await hooks.wait_for(lambda: hooks.ended)
    assert isinstance(hooks.failure, ChannelError)
    assert "gave up after 2 retry attempt(s)" in str(hooks.failure)
    assert hooks.states[-1][0] is ChannelState.FAILED
    with pytest.raises(ChannelError):
        await session.send(customer("still?"))
    await channel.close()


async def test_sessions_post_independently(bot: HttpBot) -> None:
    channel = WebhookChannel(profile(bot.url("/webhook")))
    one, two = await channel.create_session(), await channel.create_session()
    hooks_one, hooks_two = Hooks(one), Hooks(two)
    async with asyncio.timeout(TIMEOUT):
        await one.send(customer("for one"))
        await two.send(customer("for two"))
        assert await hooks_one.texts_after(1) == ["echo: for one"]
        assert await hooks_two.texts_after(1) == ["echo: for two"]
        await one.close()
        await hooks_one.wait_for(lambda: hooks_one.ended)
        await two.send(customer("two still works"))
        assert await hooks_two.texts_after(2) == ["echo: for two", "echo: two still works"]
    await channel.close()
    assert hooks_one.states[-1][0] is ChannelState.CLOSED
