"""`convsim probe` on the endpoints it recognises but cannot chat with directly (Socket.IO,
Direct Line), the demo bot, and bots whose answers it cannot read (it says why, exit 1)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from websockets.asyncio.server import ServerConnection, serve

from channels.demo_bot import DemoBotServer
from channels.presets import PRESETS
from channels.probe import probe, profile_toml
from tests.support.timeouts import TIMEOUT


@contextlib.asynccontextmanager
async def engine_io_server() -> AsyncIterator[str]:
    """Speaks first with an Engine.IO open packet, as Socket.IO servers (Rasa, Chainlit) do."""

    async def handle(ws: ServerConnection) -> None:
        await ws.send('0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000}')
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass

    async with serve(handle, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"


async def test_socket_io_is_recognised_and_named() -> None:
    async with engine_io_server() as url:
        result = await probe(url, wait=TIMEOUT / 2)
    finding = result.finding
    assert finding.protocol.startswith("Socket.IO / Engine.IO")
    assert finding.profile is not None and finding.profile["preset"] == "rasa-socketio"
    assert finding.usable is ("rasa-socketio" in PRESETS)
    assert any("Engine.IO" in note for note in finding.notes)
    assert result.exchanges[0].frames[0].data.startswith('0{"sid"')


async def test_chainlit_and_direct_line_urls_are_recognised() -> None:
    chainlit = await probe("http://127.0.0.1:9/ws/socket.io/", wait=1)
    assert chainlit.finding.profile == {"url": "http://127.0.0.1:9", "preset": "chainlit"}
    direct = await probe("https://directline.botframework.com/v3/directline", wait=1)
    assert direct.finding.protocol.startswith("Direct Line")
    assert direct.finding.profile == {
        "url": "https://directline.botframework.com/v3/directline",
        "preset": "directline",
    }
    assert direct.finding.usable and "DIRECTLINE_SECRET" in " ".join(direct.finding.notes)
    assert direct.exchanges == ()  # no secret, so nothing is sent over the internet


async def test_the_demo_bot_over_websocket_is_its_own_protocol() -> None:
    async with DemoBotServer() as bot:
        result = await probe(bot.ws_url, wait=TIMEOUT / 2)
    assert result.finding.usable
    assert result.finding.profile == {"url": bot.ws_url, "preset": "demo-ws"}
    assert "demo protocol" in result.finding.protocol


@contextlib.asynccontextmanager
async def http_bot(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None,
) -> AsyncIterator[str]:
    app = web.Application()

    async def odd_json(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"status": "ok", "data": {"answer": "Hi there"}})

    app.router.add_post("/chat", handler or odd_json)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/chat"  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


async def test_json_without_a_text_at_the_usual_places_gets_a_suggestion() -> None:
    async with http_bot() as url:
        result = await probe(url, wait=TIMEOUT / 2)
    assert not result.finding.usable and result.finding.profile is None
    notes = " ".join(result.finding.notes)
    assert "could not read it" in notes and 'text = "data.answer"' in notes


async def test_an_empty_200_says_it_may_be_a_callback_bot() -> None:
    async def empty(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200)

    async with http_bot(empty) as url:
        result = await probe(url, wait=TIMEOUT / 2)
    assert not result.finding.usable
    assert "response_mode" in " ".join(result.finding.notes)


def test_the_printed_profile_is_toml_convsim_reads() -> None:
    import tomllib

    from channels.profile import BotProfile

    table: dict[str, Any] = {"url": "http://h:5005/webhooks/callback/webhook"}
    table["preset"] = "rasa-rest"
    table |= {"response_mode": "callback", "callback": {"port": 5034, "path": "/bot"}}
    text = profile_toml(table)
    loaded = tomllib.loads(text)["bot"]
    assert loaded == table
    profile = BotProfile.from_mapping(loaded, environ={})
    assert profile.callback.port == 5034 and profile.response_mode == "callback"
    assert json.loads(json.dumps(loaded)) == table


@pytest.mark.parametrize("url", ["ws://127.0.0.1:9/", "http://127.0.0.1:9/chat"])
async def test_an_unreachable_bot_is_said_plainly(url: str) -> None:
    result = await probe(url, wait=1)
    assert not result.finding.usable
    assert "cannot" in " ".join(result.finding.notes)
