"""SocketIOChannel against real python-socketio servers speaking Rasa's and Chainlit's events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.factory import check_reachable, make_channel
from channels.profile import BotProfile, ProfileError, profile_for_url
from channels.socketio import SocketIOChannel, SocketIOSession, split_url
from convsim_core.channel import ChannelError, ChannelState
from convsim_core.models import Message, ParticipantRole
from tests.support.socketio_bots import ChainlitSocketBot, RasaSocketBot
from tests.support.timeouts import MS, TIMEOUT
from tests.support.wire_bots import Hooks

FAST_RECONNECT = {"attempts": 5, "backoff": 0.05, "max_backoff": 0.3}
PATIENT = {"attempts": 40, "backoff": 0.05, "max_backoff": 0.2}
"""Outlasts a server restart (stopping an aiohttp server with open sockets takes a moment)."""


def customer(text: str) -> Message:
    return Message(content=text, timestamp=datetime.now(UTC), sender=ParticipantRole.CUSTOMER)


def rasa_profile(url: str, environ: dict[str, str] | None = None, **bot: Any) -> BotProfile:
    base = {"reconnect": FAST_RECONNECT, "connect_timeout": TIMEOUT, **bot}
    env = {} if environ is None else environ
    return profile_for_url(url, kind="socketio", preset="rasa-socketio", base=base, environ=env)


def chainlit_profile(url: str, **bot: Any) -> BotProfile:
    base = {"reconnect": FAST_RECONNECT, "connect_timeout": TIMEOUT, **bot}
    return profile_for_url(url, kind="socketio", preset="chainlit", base=base, environ={})


@pytest.fixture
async def rasa() -> AsyncIterator[RasaSocketBot]:
    async with RasaSocketBot() as bot:
        yield bot


@pytest.fixture
async def chainlit() -> AsyncIterator[ChainlitSocketBot]:
    async with ChainlitSocketBot(welcome="Hi, I'm the Chainlit bot.") as bot:
        yield bot


async def open_session(profile: BotProfile) -> tuple[SocketIOChannel, SocketIOSession, Hooks]:
    channel = make_channel(profile)
    assert isinstance(channel, SocketIOChannel)
    session = await channel.create_session()
    return channel, session, Hooks(session)


def transcript(messages: tuple[Message, ...]) -> list[tuple[str, str]]:
    return [(m.sender.value, m.content) for m in messages]


async def test_rasa_conversation_with_session_request(rasa: RasaSocketBot) -> None:
    channel, session, hooks = await open_session(rasa_profile(rasa.url))
    async with asyncio.timeout(TIMEOUT):
        assert rasa.session_requests == [{"session_id": session.session_id}]
        await session.send(customer("hello"))
        assert await hooks.texts_after(1) == ["echo: hello"]
        await session.send(customer("burst"))
        await hooks.texts_after(4)
        conversation = await session.get_conversation()
    await channel.close()
    assert transcript(conversation.messages) == [
        ("customer", "hello"),
        ("agent", "echo: hello"),
        ("customer", "burst"),
        ("agent", "one"),
        ("agent", "two"),
        ("agent", "three"),
    ]
    assert rasa.received[session.session_id] == ["hello", "burst"]
    assert hooks.saw(ChannelState.CLOSED)


async def test_rasa_welcome_quick_replies_and_image(rasa: RasaSocketBot) -> None:
    rasa.welcome = "Welcome to Brightbox!"
    channel, session, hooks = await open_session(rasa_profile(rasa.url))
    async with asyncio.timeout(TIMEOUT):
        assert await hooks.texts_after(1) == ["Welcome to Brightbox!"]
        await session.send(customer("buttons"))
        await session.send(customer("image"))
        texts = await hooks.texts_after(3)
    await channel.close()
    assert texts[1:] == ["Did that help?\n[buttons: Yes | No]", "[image] https://x.test/a.png"]
    assert hooks.errors == []


async def test_rasa_bad_event_data_is_a_protocol_error_not_silence(rasa: RasaSocketBot) -> None:
    channel, session, hooks = await open_session(rasa_profile(rasa.url))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("garbage"))
        assert await hooks.texts_after(1) == ["echo: garbage"]
        await hooks.wait_for(lambda: len(hooks.errors) == 4)
    await channel.close()
    reasons = [str(error) for error in hooks.errors]
    assert "unreadable Socket.IO packet" in reasons[0]
    assert hooks.errors[0].excerpt == "9 this is no Socket.IO packet"
    assert "expected an object" in reasons[1] and hooks.errors[1].excerpt == "42"
    assert "no reply text at 'text'" in reasons[2]
    assert "not JSON" in reasons[3]


async def test_rasa_namespace_auth_and_query(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = {"auth": {"token": "${T}"}, "query": {"user": "{session_id}"}}
    with pytest.raises(ProfileError, match="T is not set"):
        rasa_profile("http://h:1", socketio=auth)
    monkeypatch.setenv("T", "s3cret")
    async with RasaSocketBot(namespace="/chat") as bot:
        profile = rasa_profile(bot.url + "/chat", environ={"T": "s3cret"}, socketio=auth)
        channel, session, hooks = await open_session(profile)
        async with asyncio.timeout(TIMEOUT):
            await session.send(customer("hi"))
            assert await hooks.texts_after(1) == ["echo: hi"]
        await channel.close()
        assert bot.auth_seen == [{"token": "s3cret"}]
        assert f"user={session.session_id}" in bot.query_seen[0]


async def test_a_refused_connection_says_why(rasa: RasaSocketBot) -> None:
    channel = make_channel(rasa_profile(rasa.url, socketio={"auth": {"token": "wrong"}}))
    with pytest.raises(ChannelError, match=r"cannot reach .*refused the connection"):
        await channel.create_session()
    await channel.close()


async def test_nobody_listening_is_cannot_reach() -> None:
    async with RasaSocketBot() as bot:
        url = bot.url
    channel = make_channel(rasa_profile(url))
    with pytest.raises(ChannelError, match=f"cannot reach {url}"):
        await channel.create_session()


async def test_no_session_confirm_is_a_clear_error(rasa: RasaSocketBot) -> None:
    profile = rasa_profile(
        rasa.url, connect_timeout=300 * MS, socketio={"session_confirm": "never_sent"}
    )
    channel = make_channel(profile)
    with pytest.raises(ChannelError, match="did not answer 'session_request' with 'never_sent'"):
        await channel.create_session()


async def test_dropped_session_reconnects_with_the_same_session_id(rasa: RasaSocketBot) -> None:
    channel, session, hooks = await open_session(rasa_profile(rasa.url))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("drop"))
        await hooks.wait_for(lambda: hooks.saw(ChannelState.RECONNECTING))
        await session.send(customer("after"))
        await hooks.wait_for(lambda: "echo: after" in hooks.texts)
    await channel.close()
    assert hooks.texts == ["echo: drop", "echo: after"]
    assert rasa.received[session.session_id] == ["drop", "after"]
    assert rasa.session_requests == [{"session_id": session.session_id}] * 2
    assert hooks.saw(ChannelState.CONNECTED)


async def test_server_restart_mid_conversation_loses_nothing(rasa: RasaSocketBot) -> None:
    channel, session, hooks = await open_session(rasa_profile(rasa.url, reconnect=PATIENT))
    async with asyncio.timeout(TIMEOUT * 2):
        await session.send(customer("one"))
        await hooks.texts_after(1)
        await rasa.stop()
        await hooks.wait_for(lambda: hooks.saw(ChannelState.RECONNECTING))
        await session.send(customer("while down"))  # kept until the reconnect
        await rasa.start()
        await hooks.wait_for(lambda: len(hooks.texts) == 2)
        await session.send(customer("three"))
        await hooks.texts_after(3)
    await channel.close()
    assert hooks.texts == ["echo: one", "echo: while down", "echo: three"]
    assert rasa.received[session.session_id] == ["one", "while down", "three"]


async def test_server_gone_for_good_fails_the_session(rasa: RasaSocketBot) -> None:
    profile = rasa_profile(rasa.url, reconnect={"attempts": 2, "backoff": 0.02})
    channel, session, hooks = await open_session(profile)
    async with asyncio.timeout(TIMEOUT):
        await rasa.stop()
        await hooks.wait_for(lambda: hooks.ended)
    await channel.close()
    assert hooks.failure is not None
    assert "gave up after 2 reconnect attempt(s)" in str(hooks.failure)
    with pytest.raises(ChannelError, match="gave up"):
        await session.send(customer("anyone?"))


async def test_chainlit_turns_end_with_task_end(chainlit: ChainlitSocketBot) -> None:
    channel, session, hooks = await open_session(chainlit_profile(chainlit.url))
    async with asyncio.timeout(TIMEOUT):
        assert await hooks.texts_after(1) == ["Hi, I'm the Chainlit bot."]
        turns_before = hooks.turns
        await session.send(customer("burst"))
        await hooks.wait_for(lambda: hooks.turns == turns_before + 1 and len(hooks.texts) == 4)
    await channel.close()
    assert hooks.texts[1:] == ["one", "two", "three"]  # the "run" step is not a reply
    assert hooks.log[-1] == "<turn>"
    assert chainlit.auth_seen[0]["sessionId"] == session.session_id
    assert chainlit.received[session.session_id] == ["burst"]


async def test_chainlit_streamed_answer_is_recorded_once(chainlit: ChainlitSocketBot) -> None:
    channel, session, hooks = await open_session(chainlit_profile(chainlit.url))
    async with asyncio.timeout(TIMEOUT):
        await hooks.texts_after(1)
        turns = hooks.turns
        await session.send(customer("stream"))
        await hooks.wait_for(lambda: hooks.turns == turns + 1)
    await channel.close()
    assert hooks.texts[1:] == ["Streamed answer"]  # not "", not twice
    assert hooks.errors == []


async def test_chainlit_restart_restores_the_session(chainlit: ChainlitSocketBot) -> None:
    profile = chainlit_profile(chainlit.url, reconnect=PATIENT)
    channel, session, hooks = await open_session(profile)
    async with asyncio.timeout(TIMEOUT * 2):
        await hooks.texts_after(1)
        await session.send(customer("before"))
        await hooks.texts_after(2)
        await chainlit.restart(down_for=0.1)
        await hooks.wait_for(lambda: hooks.saw(ChannelState.CONNECTED))
        await session.send(customer("after"))
        await hooks.texts_after(3)
    await channel.close()
    # on_chat_start ran once: no second welcome after the reconnect
    assert hooks.texts == ["Hi, I'm the Chainlit bot.", "echo: before", "echo: after"]


async def test_chainlit_bad_step_is_a_protocol_error(chainlit: ChainlitSocketBot) -> None:
    channel, session, hooks = await open_session(chainlit_profile(chainlit.url))
    async with asyncio.timeout(TIMEOUT):
        await hooks.texts_after(1)
        await session.send(customer("garbage"))
        await hooks.wait_for(lambda: len(hooks.texts) == 2 and len(hooks.errors) == 1)
    await channel.close()
    assert "no reply text at 'output'" in str(hooks.errors[0])


@pytest.mark.parametrize(
    ("bot_kind", "transports"),
    [("rasa", ["websocket"]), ("rasa", ["polling", "websocket"]), ("chainlit", None)],
)
async def test_two_hundred_concurrent_conversations_lose_nothing(
    bot_kind: str, transports: list[str] | None
) -> None:
    """Rasa's events (long-polling first, then the upgrade; WebSocket only) and Chainlit's
    (task_start / new_message / task_end turns on /ws/socket.io)."""
    bot: RasaSocketBot | ChainlitSocketBot
    bot = RasaSocketBot() if bot_kind == "rasa" else ChainlitSocketBot()
    per_session = 3
    async with bot:
        if isinstance(bot, RasaSocketBot):
            profile = rasa_profile(bot.url, socketio={"transports": transports})
        else:
            profile = chainlit_profile(bot.url)
        channel = make_channel(profile)

        async def converse(index: int) -> tuple[str, list[str]]:
            session = await channel.create_session()
            hooks = Hooks(session)
            for turn in range(per_session):
                await session.send(customer(f"c{index} m{turn}"))
                await hooks.texts_after(turn + 1)
            await hooks.stop()
            await session.close()
            return session.session_id, hooks.texts

        async with asyncio.timeout(TIMEOUT * 12):
            results = await asyncio.gather(*(converse(i) for i in range(200)))
        await channel.close()
    assert len(bot.received) == 200
    for index, (session_id, texts) in enumerate(results):
        sent = [f"c{index} m{turn}" for turn in range(per_session)]
        assert bot.received[session_id] == sent
        assert texts == [f"echo: {text}" for text in sent]


def test_split_url_reads_urls_like_the_javascript_client() -> None:
    assert split_url("ws://h:1", "/socket.io", "/") == ("http://h:1", "/socket.io", "/")
    assert split_url("http://h:1/chat", "/socket.io", "/") == ("http://h:1", "/socket.io", "/chat")
    assert split_url("https://h/ws/socket.io/?a=1", "/socket.io", "/") == (
        "https://h?a=1",
        "/ws/socket.io",
        "/",
    )


def test_profile_errors_name_the_key() -> None:
    with pytest.raises(ProfileError, match=r"bot\.socketio\.transports"):
        rasa_profile("http://h:1", socketio={"transports": ["carrier-pigeon"]})
    with pytest.raises(ProfileError, match=r"bot\.socketio\.nonsense: unknown key"):
        rasa_profile("http://h:1", socketio={"nonsense": 1})
    with pytest.raises(ProfileError, match="only for kind = 'socketio'"):
        profile_for_url("ws://h:1", kind="ws", base={"socketio": {"path": "/x"}}, environ={})
    with pytest.raises(ProfileError, match="needs session_request"):
        rasa_profile("http://h:1", socketio={"session_request": "", "session_confirm": "ok"})


async def test_reachability_check_does_the_engineio_handshake(rasa: RasaSocketBot) -> None:
    await check_reachable(rasa_profile(rasa.url))
    with pytest.raises(ChannelError, match=r"no Socket.IO server at /ws/socket.io \(HTTP 404"):
        await check_reachable(rasa_profile(rasa.url, socketio={"path": "/ws/socket.io"}))
