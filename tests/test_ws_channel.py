"""WebSocketChannel against real WebSocket bots on 127.0.0.1 (well-behaved and not)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.profile import BotProfile, profile_for_url
from channels.websocket import WebSocketChannel, WebSocketSession
from convsim_core.channel import ChannelError, ChannelState
from convsim_core.models import Message, ParticipantRole
from tests.support.timeouts import MS, TIMEOUT
from tests.support.wire_bots import Hooks, MutePingBot, WsBot

FAST_RECONNECT = {"attempts": 3, "backoff": 50 * MS, "max_backoff": 200 * MS}


def customer(text: str) -> Message:
    return Message(content=text, timestamp=datetime.now(UTC), sender=ParticipantRole.CUSTOMER)


def demo_profile(url: str, **bot: Any) -> BotProfile:
    base = {"reconnect": FAST_RECONNECT, **bot}
    return profile_for_url(url, kind="ws", preset="demo-ws", base=base, environ={})


@pytest.fixture
async def bot() -> AsyncIterator[WsBot]:
    async with WsBot(huge_size=10_000) as running:
        yield running


async def open_session(profile: BotProfile) -> tuple[WebSocketChannel, WebSocketSession, Hooks]:
    channel = WebSocketChannel(profile)
    session = await channel.create_session()
    return channel, session, Hooks(session)


async def test_echo_conversation_is_recorded_in_order(bot: WsBot) -> None:
    channel, session, hooks = await open_session(demo_profile(bot.url()))
    async with asyncio.timeout(TIMEOUT):
        first = customer("hello")
        await session.send(first)
        assert await hooks.texts_after(1) == ["echo: hello"]
        await session.send(customer("how are you?"))
        await hooks.texts_after(2)
        await hooks.wait_for(lambda: hooks.turns == 2)
        conversation = await session.get_conversation()
    await channel.close()
    assert [(m.sender, m.content) for m in conversation.messages] == [
        (ParticipantRole.CUSTOMER, "hello"),
        (ParticipantRole.AGENT, "echo: hello"),
        (ParticipantRole.CUSTOMER, "how are you?"),
        (ParticipantRole.AGENT, "echo: how are you?"),
    ]
    assert conversation.messages[0] is first
    agent = conversation.messages[1]
    assert agent.timestamp.tzinfo is UTC and agent.timestamp >= first.timestamp
    assert hooks.log == ["echo: hello", "<turn>", "echo: how are you?", "<turn>"]
    assert hooks.errors == []  # typing frames were filtered, not errors
    assert bot.received == [(session.session_id, "hello"), (session.session_id, "how are you?")]


async def test_burst_of_three_is_one_turn(bot: WsBot) -> None:
    channel, session, hooks = await open_session(demo_profile(bot.url()))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("burst"))
        await hooks.texts_after(3)
        await hooks.wait_for(lambda: hooks.turns == 1)
    await channel.close()
    # turn-complete only after the subscriber was handed the last message
    assert hooks.log == ["part 1", "part 2", "part 3", "<turn>"]


async def test_multiplexed_sessions_share_one_connection_and_stay_apart(bot: WsBot) -> None:
    channel = WebSocketChannel(demo_profile(bot.url()))
    sessions = [await channel.create_session() for _ in range(3)]
    followers = [Hooks(s) for s in sessions]
    async with asyncio.timeout(TIMEOUT):
        await asyncio.gather(*(s.send(customer(f"i am {n}")) for n, s in enumerate(sessions)))
        for n, hooks in enumerate(followers):
            assert await hooks.texts_after(1) == [f"echo: i am {n}"]
    await channel.close()
    assert bot.connections == 1
    assert len({s.session_id for s in sessions}) == 3


async def test_connection_mode_opens_one_connection_per_session(bot: WsBot) -> None:
    profile = demo_profile(
        bot.url("/conn"), websocket={"session_mode": "connection"}, reply={"session": ""}
    )
    channel = WebSocketChannel(profile)
    one, two = await channel.create_session(), await channel.create_session()
    hooks_one, hooks_two = Hooks(one), Hooks(two)
    async with asyncio.timeout(TIMEOUT):
        await one.send(customer("first"))
        await two.send(customer("second"))
        assert await hooks_one.texts_after(1) == ["echo: first"]
        assert await hooks_two.texts_after(1) == ["echo: second"]
    await channel.close()
    assert bot.connections == 2


async def test_setup_frame_is_sent_first(bot: WsBot) -> None:
    profile = demo_profile(
        bot.url(), request={"setup": {"type": "start", "session_id": "{session_id}"}}
    )
    channel, session, hooks = await open_session(profile)
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("hi"))
        await hooks.texts_after(1)
    await channel.close()
    assert bot.starts == [session.session_id]


async def test_plain_text_frames(bot: WsBot) -> None:
    profile = profile_for_url(bot.url("/plain"), kind="ws", preset="plain-ws", environ={})
    channel, session, hooks = await open_session(profile)
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer('plain "text" {here}'))
        assert await hooks.texts_after(1) == ['echo: plain "text" {here}']
    await channel.close()
    assert bot.received == [(None, 'plain "text" {here}')]
    assert hooks.turns == 0  # plain text has no turn flag; settle time decides


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("garbage", "frame is not JSON"),
        ("no-session", "frame has no 'session_id' field"),
        ("bad-text", "reply text at 'text' is int"),
        ("huge", "exceeds max_body_bytes (4096)"),
    ],
)
async def test_malformed_frames_are_reported_and_the_conversation_goes_on(
    bot: WsBot, command: str, problem: str
) -> None:
    channel, session, hooks = await open_session(demo_profile(bot.url(), max_body_bytes=4096))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer(command))
        assert await hooks.texts_after(1) == [f"echo: {command}"]
        await session.send(customer("still there?"))
        assert await hooks.texts_after(2) == [f"echo: {command}", "echo: still there?"]
    await channel.close()
    assert len(hooks.errors) == 1
    error = hooks.errors[0]
    assert problem in str(error)
    assert 0 < len(error.excerpt) <= 120
    assert len((await session.get_conversation()).messages) == 4


async def test_repeated_reply_ids_are_delivered_once(bot: WsBot) -> None:
    channel, session, hooks = await open_session(demo_profile(bot.url(), reply={"id": "id"}))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("dup"))
        await session.send(customer("next"))
        assert await hooks.texts_after(2) == ["echo: dup", "echo: next"]
    await channel.close()


async def test_drop_mid_conversation_reconnects_without_loss_or_duplicates(bot: WsBot) -> None:
    channel, session, hooks = await open_session(demo_profile(bot.url(), reply={"id": "id"}))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("one"))
        await hooks.texts_after(1)
        await session.send(customer("drop"))  # the bot answers, then vanishes
        await hooks.wait_for(lambda: hooks.saw(ChannelState.RECONNECTING))
        # Sent while the link is down: kept and written once after the reconnect.
        await session.send(customer("while down"))
        await hooks.wait_for(lambda: hooks.saw(ChannelState.CONNECTED))
        await hooks.texts_after(3)
        await session.send(customer("after"))
        texts = await hooks.texts_after(4)
        conversation = await session.get_conversation()
    await channel.close()
    assert texts == ["echo: one", "echo: drop", "echo: while down", "echo: after"]
    assert [text for _, text in bot.received] == ["one", "drop", "while down", "after"]
    assert [m.content for m in conversation.messages] == [
        "one",
        "echo: one",
        "drop",
        "echo: drop",
        "while down",
        "echo: while down",
        "after",
        "echo: after",
    ]
    states = [state for state, _ in hooks.states]
    assert states[:1] == [ChannelState.RECONNECTING]
    assert ChannelState.CONNECTED in states and ChannelState.FAILED not in states
    assert "without a close frame" in hooks.states[0][1]
    assert bot.connections == 2


async def test_clean_close_by_the_bot_also_reconnects(bot: WsBot) -> None:
    channel, session, hooks = await open_session(demo_profile(bot.url()))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("close"))
        await hooks.wait_for(lambda: hooks.saw(ChannelState.CONNECTED))
        await session.send(customer("back"))
        assert await hooks.texts_after(2) == ["echo: close", "echo: back"]
    await channel.close()
    assert "code 1012 (service restart)" in hooks.states[0][1]


async def test_connection_mode_session_reconnects_too(bot: WsBot) -> None:
    profile = demo_profile(
        bot.url("/conn"), websocket={"session_mode": "connection"}, reply={"session": ""}
    )
    channel, session, hooks = await open_session(profile)
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("drop"))
        await hooks.wait_for(lambda: hooks.saw(ChannelState.CONNECTED))
        await session.send(customer("again"))
        assert await hooks.texts_after(2) == ["echo: drop", "echo: again"]
    await channel.close()


async def test_permanent_drop_fails_after_the_configured_attempts(bot: WsBot) -> None:
    profile = demo_profile(bot.url(), reconnect={"attempts": 2, "backoff": 20 * MS})
    channel, session, hooks = await open_session(profile)
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("die"))
        await hooks.wait_for(lambda: hooks.ended)
    assert isinstance(hooks.failure, ChannelError)
    assert "gave up after 2 reconnect attempt(s)" in str(hooks.failure)
    assert bot.url() in str(hooks.failure)
    states = [state for state, _ in hooks.states]
    assert states == [
        ChannelState.RECONNECTING,
        ChannelState.RECONNECTING,
        ChannelState.RECONNECTING,
        ChannelState.FAILED,
    ]
    assert "attempt 2/2 failed" in hooks.states[2][1]
    with pytest.raises(ChannelError, match="gave up"):
        await session.send(customer("anyone?"))
    with pytest.raises(ChannelError, match="gave up"):  # a late subscriber hears it too
        await anext(aiter(session.subscribe()))
    assert [m.content for m in (await session.get_conversation()).messages] == ["die"]
    await channel.close()


async def test_unreachable_bot_names_the_url(unused_tcp_port: int) -> None:
    url = f"ws://127.0.0.1:{unused_tcp_port}/ws"
    channel = WebSocketChannel(demo_profile(url))
    with pytest.raises(ChannelError, match=rf"^cannot reach {url}: .+"):
        async with asyncio.timeout(TIMEOUT):
            await channel.create_session()
    await channel.close()


async def test_keepalive_pings_detect_a_bot_that_stopped_answering() -> None:
    async with MutePingBot() as mute:
        profile = demo_profile(
            mute.url(),
            websocket={"ping_interval": 50 * MS, "ping_timeout": 100 * MS},
            reconnect={"attempts": 1, "backoff": 10 * MS},
            connect_timeout=300 * MS,
        )
        channel, _session, hooks = await open_session(profile)
        async with asyncio.timeout(TIMEOUT):
            await hooks.wait_for(lambda: hooks.saw(ChannelState.RECONNECTING))
        await channel.close()
    assert mute.pings >= 1
    assert mute.connections >= 1
    assert hooks.states[0] == (
        ChannelState.RECONNECTING,
        "connection failed: keepalive ping timeout",
    )


async def test_pings_keep_an_idle_connection_open(bot: WsBot) -> None:
    profile = demo_profile(
        bot.url(), websocket={"ping_interval": 20 * MS, "ping_timeout": 500 * MS}
    )
    channel, session, hooks = await open_session(profile)
    await asyncio.sleep(200 * MS)  # ten ping rounds
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("still here"))
        assert await hooks.texts_after(1) == ["echo: still here"]
    await channel.close()
    assert hooks.states[-1][0] is ChannelState.CLOSED
    assert not hooks.saw(ChannelState.RECONNECTING)


async def test_close_ends_subscribe_and_is_idempotent(bot: WsBot) -> None:
    channel, session, hooks = await open_session(demo_profile(bot.url()))
    async with asyncio.timeout(TIMEOUT):
        await session.close()
        await hooks.wait_for(lambda: hooks.ended)
        await session.close()
    assert hooks.failure is None
    with pytest.raises(ChannelError, match="closed"):
        await session.send(customer("late"))
    await channel.close()
    await channel.close()
    with pytest.raises(ChannelError, match="closed"):
        await channel.create_session()


async def test_a_silent_bot_does_not_hang_the_caller(bot: WsBot) -> None:
    channel, session, hooks = await open_session(demo_profile(bot.url()))
    await session.send(customer("silent"))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(200 * MS):
            await hooks.texts_after(1)
    async with asyncio.timeout(TIMEOUT):
        await channel.close()
        await hooks.wait_for(lambda: hooks.ended)
