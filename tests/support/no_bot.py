"""A real HTTP server on 127.0.0.1 with no bot behind it: every request is answered 404.

What a wrong webhook URL looks like from convsim's side (a typo in the path, a route the bot
framework mounts elsewhere): the host answers, but nothing there reads the message.
"""

from __future__ import annotations

from typing import ClassVar

from aiohttp import web

from channels.app_server import AppServer


class NoBotServer(AppServer):
    """Answers every request with ``status`` (404 by default) and records the paths asked for."""

    label: ClassVar[str] = "server without a bot"

    def __init__(self, status: int = 404) -> None:
        super().__init__("127.0.0.1", 0, access_log=None)
        self.status = status
        self.requests: list[tuple[str, str]] = []
        """``(method, path)`` of every request, in order."""

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        return app

    async def _answer(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        return web.Response(status=self.status, text=f"{self.status}: nothing here")
