"""Webhook requests are retried only when they cannot have reached the bot (issue 10).

A bot that reads the request and then drops the connection ("Server disconnected") may have
processed the message: by default it is not sent again; ``retry_sent = true`` opts in.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from channels.factory import make_channel
from channels.profile import profile_for_url
from convsim_core.models import Message, ParticipantRole
from tests.support.timeouts import TIMEOUT
from tests.support.wire_bots import Hooks

RETRY = {"attempts": 3, "backoff": 0.05, "max_backoff": 0.1}


class DroppingBot:
    """Reads each HTTP request in full, then drops the connection without answering the first
    ``drops`` of them; answers the rest like the generic JSON bot."""

    def __init__(self, drops: int) -> None:
        self.drops = drops
        self.requests: list[dict[str, object]] = []
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> DroppingBot:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/webhook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        body = json.loads(await reader.readexactly(length))
        self.requests.append(body)
        if len(self.requests) <= self.drops:
            writer.transport.abort()  # the bot got the message, then the connection died
            return
        answer = json.dumps({"replies": [{"text": f"echo: {body['text']}"}]}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(answer)}\r\n\r\n".encode()
            + answer
        )
        await writer.drain()
        writer.close()


def customer(text: str) -> Message:
    return Message(content=text, timestamp=datetime.now(UTC), sender=ParticipantRole.CUSTOMER)


async def test_a_request_the_bot_may_have_read_is_not_sent_again() -> None:
    async with DroppingBot(drops=1) as bot:
        channel = make_channel(profile_for_url(bot.url, kind="webhook", base={"reconnect": RETRY}))
        session = await channel.create_session()
        hooks = Hooks(session)
        async with asyncio.timeout(TIMEOUT):
            await session.send(customer("pay twice?"))
            await hooks.wait_for(lambda: bool(hooks.errors))
            await session.send(customer("next"))
            assert await hooks.texts_after(1) == ["echo: next"]
        await channel.close()
    assert [r["text"] for r in bot.requests] == ["pay twice?", "next"]  # never twice
    assert "HTTP request failed" in str(hooks.errors[0])


async def test_retry_sent_opts_in_to_resending_after_a_disconnect() -> None:
    async with DroppingBot(drops=1) as bot:
        base = {"reconnect": {**RETRY, "retry_sent": True}}
        channel = make_channel(profile_for_url(bot.url, kind="webhook", base=base))
        session = await channel.create_session()
        hooks = Hooks(session)
        async with asyncio.timeout(TIMEOUT):
            await session.send(customer("again"))
            assert await hooks.texts_after(1) == ["echo: again"]
        await channel.close()
    assert [r["text"] for r in bot.requests] == ["again", "again"]
