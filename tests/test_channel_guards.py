"""Mistakes caught before or during a run: oversized frames, refused upgrades, wrong presets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from channels.demo_bot import DemoBotServer
from channels.factory import check_reachable
from channels.profile import ProfileError, profile_for_url
from channels.websocket import WebSocketChannel
from convsim_core.channel import ChannelError, ChannelState
from convsim_core.models import Message, ParticipantRole
from tests.support.timeouts import TIMEOUT
from tests.support.wire_bots import Hooks, WsBot


def customer(text: str) -> Message:
    return Message(content=text, timestamp=datetime.now(UTC), sender=ParticipantRole.CUSTOMER)


async def test_a_frame_bigger_than_any_socket_limit_is_a_protocol_error_not_a_drop() -> None:
    async with WsBot(huge_size=5_000_000) as bot:
        profile = profile_for_url(bot.url(), kind="ws", preset="demo-ws", environ={})
        channel = WebSocketChannel(profile)
        session = await channel.create_session()
        hooks = Hooks(session)
        async with asyncio.timeout(TIMEOUT):
            await session.send(customer("huge"))
            assert await hooks.texts_after(1) == ["echo: huge"]
            await session.send(customer("still there?"))
            assert await hooks.texts_after(2) == ["echo: huge", "echo: still there?"]
        await channel.close()
    assert len(hooks.errors) == 1
    assert "exceeds max_body_bytes" in str(hooks.errors[0])
    assert not any(hooks.saw(state) for state in (ChannelState.RECONNECTING, ChannelState.FAILED))


async def test_a_refused_websocket_upgrade_is_unreachable_before_the_run() -> None:
    async with DemoBotServer() as bot:
        url = f"ws://127.0.0.1:{bot.port}/no-such-socket"
        profile = profile_for_url(url, kind="ws", preset="demo-ws", environ={})
        with pytest.raises(ChannelError, match=rf"^cannot reach {url}: .*HTTP 404"):
            await check_reachable(profile)
        await check_reachable(profile_for_url(bot.ws_url, kind="ws", preset="demo-ws"))


@pytest.mark.parametrize(
    ("url", "kind", "preset"),
    [
        ("ws://127.0.0.1:9/ws", "ws", "rasa-rest"),
        ("ws://127.0.0.1:9/ws", "ws", "generic-json"),
        ("http://127.0.0.1:9/webhook", "webhook", "demo-ws"),
    ],
)
def test_a_preset_for_the_other_transport_is_refused(url: str, kind: str, preset: str) -> None:
    with pytest.raises(ProfileError, match=rf"preset '{preset}' is for \w+ bots"):
        profile_for_url(url, kind=kind, preset=preset, environ={})
