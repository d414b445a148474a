"""AppServer: the aiohttp lifecycle the demo bot, the callback server and the test bots share."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from channels.app_server import AppServer
from tests.support.timeouts import TIMEOUT


class _Hello(AppServer):
    label = "hello server"

    def __init__(self, port: int = 0) -> None:
        super().__init__(port=port, shutdown_timeout=0.5)
        self.apps_made = 0

    def make_app(self) -> web.Application:
        self.apps_made += 1
        app = web.Application()
        app.router.add_get("/", self._hello)
        return app

    async def _hello(self, _request: web.Request) -> web.Response:
        return web.json_response({"hello": self.apps_made})


async def _get(url: str) -> object:
    async with (
        aiohttp.ClientSession() as http,
        asyncio.timeout(TIMEOUT),
        http.get(url) as response,
    ):
        return await response.json()


async def test_serves_from_start_to_stop_and_both_are_safe_twice() -> None:
    server = _Hello()
    with pytest.raises(RuntimeError, match="the hello server is not running"):
        _ = server.url
    async with server:
        await server.start()  # already listening: nothing happens
        assert server.running and server.apps_made == 1
        assert await _get(server.url) == {"hello": 1}
        port = server.port
    assert not server.running
    await server.stop()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_started_again_it_listens_on_the_port_it_had() -> None:
    server = _Hello()
    await server.start()
    port = server.port
    await server.stop()
    await server.start()
    try:
        assert server.port == port and await _get(server.url) == {"hello": 2}
    finally:
        await server.stop()


async def test_a_taken_port_raises_oserror_and_leaves_nothing_running() -> None:
    async with _Hello() as first:
        second = _Hello(port=first.port)
        with pytest.raises(OSError):
            await second.start()
        assert not second.running
        with pytest.raises(RuntimeError):
            _ = second.port
