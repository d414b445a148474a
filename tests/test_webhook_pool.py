"""Many concurrent conversations over one WebhookChannel never queue for a connection."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiohttp import web

from channels.factory import make_channel
from channels.profile import profile_for_url
from convsim_core.channel import Session
from convsim_core.models import Message, ParticipantRole
from tests.support.timeouts import TIMEOUT

CONVERSATIONS = 150  # more than aiohttp's default pool of 100 connections
BOT_THINKING = 0.3


async def test_more_sessions_than_a_default_pool_get_answers_within_the_timeout() -> None:
    in_flight = 0
    peak = 0

    async def slow_bot(request: web.Request) -> web.Response:
        nonlocal in_flight, peak
        body = await request.json()
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(BOT_THINKING)
        in_flight -= 1
        return web.json_response({"replies": [{"text": f"echo: {body['text']}"}]})

    app = web.Application()
    app.router.add_post("/webhook", slow_bot)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    profile = profile_for_url(
        f"http://127.0.0.1:{port}/webhook",
        kind="webhook",
        preset="generic-json",
        base={"response_timeout": BOT_THINKING * 4},
        environ={},
    )
    channel = make_channel(profile)
    errors: list[str] = []

    async def one(index: int) -> str:
        session: Session = await channel.create_session()
        session.on_protocol_error = lambda error: errors.append(str(error))
        await session.send(Message(f"hello {index}", datetime.now(UTC), ParticipantRole.CUSTOMER))
        async for reply in session.subscribe():
            return reply.content
        return ""

    try:
        async with asyncio.timeout(TIMEOUT * 2):
            replies = await asyncio.gather(*(one(i) for i in range(CONVERSATIONS)))
    finally:
        await channel.close()
        await runner.cleanup()
    assert errors == []
    assert sorted(replies) == sorted(f"echo: hello {i}" for i in range(CONVERSATIONS))
    assert peak > 100


def test_max_connections_is_configurable() -> None:
    profile = profile_for_url(
        "http://127.0.0.1:9/webhook",
        kind="webhook",
        preset="generic-json",
        base={"max_connections": 20},
        environ={},
    )
    assert profile.max_connections == 20
