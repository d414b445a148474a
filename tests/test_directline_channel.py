"""DirectLineChannel against a real Direct Line 3.0 server (REST + stream) on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.directline import DirectLineChannel, DirectLineSession
from channels.directline_stream import redact
from channels.factory import check_reachable, make_channel
from channels.profile import BotProfile, ProfileError, profile_for_url
from convsim_core.channel import ChannelError, ChannelState
from convsim_core.models import Message, ParticipantRole
from tests.support.directline_server import SECRET, DirectLineServer
from tests.support.timeouts import TIMEOUT
from tests.support.wire_bots import Hooks

PATIENT = {"attempts": 40, "backoff": 0.05, "max_backoff": 0.2}
ENV = {"DIRECTLINE_SECRET": SECRET}


def customer(text: str) -> Message:
    return Message(content=text, timestamp=datetime.now(UTC), sender=ParticipantRole.CUSTOMER)


def dl_profile(url: str, *, directline: dict[str, Any] | None = None, **bot: Any) -> BotProfile:
    base = {
        "reconnect": PATIENT,
        "connect_timeout": TIMEOUT,
        "directline": {"poll_interval": 0.05, **(directline or {})},
        **bot,
    }
    return profile_for_url(url, kind="directline", preset="directline", base=base, environ=ENV)


@pytest.fixture(autouse=True)
def secret_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIRECTLINE_SECRET", SECRET)


@pytest.fixture
async def server() -> AsyncIterator[DirectLineServer]:
    async with DirectLineServer(welcome="Hello! I'm the Brightbox bot.") as running:
        yield running


async def open_session(profile: BotProfile) -> tuple[DirectLineChannel, DirectLineSession, Hooks]:
    channel = make_channel(profile)
    assert isinstance(channel, DirectLineChannel)
    session = await channel.create_session()
    return channel, session, Hooks(session)


async def test_conversation_over_the_stream(server: DirectLineServer) -> None:
    channel, session, hooks = await open_session(dl_profile(server.url))
    async with asyncio.timeout(TIMEOUT):
        assert await hooks.texts_after(1) == ["Hello! I'm the Brightbox bot."]
        await session.send(customer("hi there"))
        await hooks.wait_for(lambda: len(hooks.texts) == 2 and hooks.turns == 1)
        await session.send(customer("burst"))
        await hooks.wait_for(lambda: len(hooks.texts) == 5 and hooks.turns == 2)
        conversation = await session.get_conversation()
    await channel.close()
    assert [(m.sender.value, m.content) for m in conversation.messages] == [
        ("agent", "Hello! I'm the Brightbox bot."),
        ("customer", "hi there"),
        ("agent", "echo: hi there"),
        ("customer", "burst"),
        ("agent", "one"),
        ("agent", "two"),
        ("agent", "three"),
    ]
    assert session.reader.echoes == 2  # our own messages came back and were dropped
    assert server.received[session.conversation_id] == ["hi there", "burst"]
    assert server.polls == 0 and hooks.errors == []
    assert hooks.log[-1] == "<turn>"  # inputHint expectingInput ends the turn


async def test_cards_images_and_suggested_actions_are_recorded(server: DirectLineServer) -> None:
    channel, session, hooks = await open_session(dl_profile(server.url))
    async with asyncio.timeout(TIMEOUT):
        for text in ("card", "image", "buttons"):
            await session.send(customer(text))
        texts = await hooks.texts_after(5)
    await channel.close()
    assert texts[1:] == [
        "[hero card: Brightbox Router X2] In stock [buttons: Buy]",
        "Here it is:",
        "[image] https://x.test/a.png",
        "Did that help?",
    ]
    await hooks.wait_for(lambda: len(hooks.texts) == 6)
    assert hooks.texts[5] == "[buttons: Yes | No]"


async def test_end_of_conversation_ends_the_session(server: DirectLineServer) -> None:
    channel, session, hooks = await open_session(dl_profile(server.url))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("end"))
        await hooks.wait_for(lambda: hooks.ended)
    await channel.close()
    assert hooks.failure is None
    assert hooks.texts[-1] == "Goodbye!"


async def test_polling_only(server: DirectLineServer) -> None:
    channel, session, hooks = await open_session(
        dl_profile(server.url, directline={"stream": False})
    )
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("burst"))
        await hooks.texts_after(4)
    await channel.close()
    assert hooks.texts == ["Hello! I'm the Brightbox bot.", "one", "two", "three"]
    assert server.stream_connections == 0 and server.polls > 0


async def test_dropped_stream_reconnects_from_the_watermark(server: DirectLineServer) -> None:
    channel, session, hooks = await open_session(dl_profile(server.url))
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("first"))
        await hooks.texts_after(2)
        await server.drop_streams()
        await session.send(customer("while reconnecting"))
        await session.send(customer("burst"))
        await hooks.texts_after(6)
    await channel.close()
    assert hooks.texts == [
        "Hello! I'm the Brightbox bot.",
        "echo: first",
        "echo: while reconnecting",
        "one",
        "two",
        "three",
    ]
    assert server.stream_connections >= 2
    assert hooks.saw(ChannelState.RECONNECTING)
    assert (ChannelState.CONNECTED, "stream reconnected") in hooks.states


async def test_refused_stream_falls_back_to_polling(server: DirectLineServer) -> None:
    profile = dl_profile(server.url, reconnect={"attempts": 2, "backoff": 0.02})
    channel, session, hooks = await open_session(profile)
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("first"))
        await hooks.texts_after(2)
        server.refuse_streams = True
        await server.drop_streams()
        await session.send(customer("second"))
        await hooks.texts_after(3)
    await channel.close()
    assert hooks.texts[1:] == ["echo: first", "echo: second"]
    assert session.polling and server.polls > 0
    assert any("polling" in detail for _, detail in hooks.states)


async def test_token_is_refreshed_before_it_expires() -> None:
    async with DirectLineServer(token_lifetime=TIMEOUT / 5) as server:
        profile = dl_profile(server.url, directline={"refresh_margin": TIMEOUT / 10})
        channel, session, hooks = await open_session(profile)
        async with asyncio.timeout(TIMEOUT * 2):
            await server.wait_for_refreshes(2)
            await session.send(customer("still here"))
            await hooks.texts_after(1)
        await channel.close()
    assert hooks.texts == ["echo: still here"]
    assert server.refreshes >= 2 and server.rejected == 0


async def test_an_expired_token_is_renewed_with_the_secret(server: DirectLineServer) -> None:
    channel, session, hooks = await open_session(dl_profile(server.url))
    async with asyncio.timeout(TIMEOUT):
        await hooks.texts_after(1)
        server.expire_tokens()
        await session.send(customer("after expiry"))
        await hooks.texts_after(2)
    await channel.close()
    assert hooks.texts[1] == "echo: after expiry"
    assert server.rejected >= 1 and session.refreshes >= 1
    assert server.received[session.conversation_id] == ["after expiry"]


async def test_server_restart_mid_conversation(server: DirectLineServer) -> None:
    channel, session, hooks = await open_session(dl_profile(server.url))
    async with asyncio.timeout(TIMEOUT * 2):
        await session.send(customer("before"))
        await hooks.texts_after(2)
        await server.stop()
        await server.start()
        await session.send(customer("after"))
        await hooks.texts_after(3)
    await channel.close()
    assert hooks.texts[1:] == ["echo: before", "echo: after"]
    assert server.received[session.conversation_id] == ["before", "after"]


async def test_bad_frames_and_activities_are_protocol_errors(server: DirectLineServer) -> None:
    channel, session, hooks = await open_session(dl_profile(server.url))
    async with asyncio.timeout(TIMEOUT):
        await hooks.texts_after(1)  # the welcome came on the stream: it is connected
        await session.send(customer("garbage"))
        await hooks.wait_for(lambda: len(hooks.texts) == 2 and len(hooks.errors) == 2)
    await channel.close()
    reasons = sorted(str(error) for error in hooks.errors)
    assert "message activity has no text" in reasons[0]
    assert "stream frame is not JSON" in reasons[1]
    assert hooks.texts[1] == "echo: garbage"


async def test_a_wrong_secret_is_one_clear_error(
    server: DirectLineServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIRECTLINE_SECRET", "not-the-secret")
    channel = make_channel(dl_profile(server.url))
    with pytest.raises(ChannelError, match="HTTP 403") as caught:
        await channel.create_session()
    await channel.close()
    assert "not-the-secret" not in str(caught.value)


async def test_nobody_listening_is_cannot_reach() -> None:
    async with DirectLineServer() as gone:
        url = gone.url
    channel = make_channel(dl_profile(url))
    with pytest.raises(ChannelError, match=f"cannot reach {url}"):
        await channel.create_session()
    await channel.close()


def test_the_secret_comes_only_from_the_named_variable() -> None:
    with pytest.raises(ProfileError, match="environment variable DL_KEY is not set"):
        profile_for_url(
            "http://h:1",
            kind="directline",
            base={"directline": {"secret_env": "DL_KEY"}},
            environ={},
        )
    with pytest.raises(ProfileError, match=r"bot\.directline\.secret: unknown key"):
        profile_for_url(
            "http://h:1", kind="directline", base={"directline": {"secret": "x"}}, environ=ENV
        )


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "polling"])
async def test_two_hundred_concurrent_conversations_lose_nothing(
    server: DirectLineServer, stream: bool
) -> None:
    """Over the stream WebSocket, and by polling ``GET .../activities?watermark=`` only."""
    server.welcome = None
    # polling: each session polls right after it posted, else every 0.5 s (bounded load)
    directline = {"stream": stream, "poll_interval": 0.05 if stream else 0.5}
    channel = make_channel(dl_profile(server.url, directline=directline))
    per_session = 3

    async def converse(index: int) -> tuple[str, list[str]]:
        session = await channel.create_session()
        assert isinstance(session, DirectLineSession)
        hooks = Hooks(session)
        for turn in range(per_session):
            await session.send(customer(f"c{index} m{turn}"))
            await hooks.texts_after(turn + 1)
        await hooks.stop()
        await session.close()
        return session.conversation_id, hooks.texts

    async with asyncio.timeout(TIMEOUT * 12):
        results = await asyncio.gather(*(converse(i) for i in range(200)))
    await channel.close()
    assert len(server.received) == 200
    assert (server.stream_connections > 0) is stream
    for index, (conversation_id, texts) in enumerate(results):
        sent = [f"c{index} m{turn}" for turn in range(per_session)]
        assert server.received[conversation_id] == sent
        assert texts == [f"echo: {text}" for text in sent]


def test_library_messages_are_redacted() -> None:
    text = f"bad URI ws://h/stream?t=tok123&k={SECRET}"
    assert redact(text, SECRET, "tok123", None) == "bad URI ws://h/stream?t=***&k=***"


async def test_reachability_check_tries_the_secret(
    server: DirectLineServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = server.url + "/v3/directline"
    await check_reachable(dl_profile(base))
    assert all(not c.activities for c in server.conversations.values())  # no chat started
    with pytest.raises(ChannelError, match=r"no Direct Line 3\.0 endpoint there"):
        await check_reachable(dl_profile(server.url + "/somewhere/else"))
    monkeypatch.setenv("DIRECTLINE_SECRET", "wrong")
    with pytest.raises(
        ChannelError, match=r"refused the secret in \$DIRECTLINE_SECRET \(HTTP 403\)"
    ):
        await check_reachable(dl_profile(base))
