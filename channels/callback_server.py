"""The HTTP server convsim runs for bots that answer later, by POSTing their replies back.

It serves the profile's callback path (generic JSON callbacks) and the Bot Framework connector
routes ``POST /v3/conversations/{id}/activities[/{replyToId}]``. The server only does HTTP:
size limit (413), signature (401); the channel's handler parses, routes and delivers and says
which status to answer (400 malformed, 404 unknown session). A rejected callback is logged and
never delivered. The handler is synchronous and never waits for anything, so a bot that holds its
own HTTP response until its callbacks were answered (Bot Framework) cannot deadlock the channel.

Hostile or broken clients are bounded (:mod:`channels.connection_guard`): at most
``max_connections`` at once, complete headers within ``header_timeout``, a body within
``body_timeout``; a signed request is accepted once (its nonce is remembered, see
:mod:`channels.signing`). Rejections are logged with the path made harmless and at most a few
lines per window, however many arrive.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

import attrs
from aiohttp import web

from channels.app_server import AppServer
from channels.connection_guard import LOG_WINDOW, ConnectionGuard, default_max_connections
from channels.profile import CallbackSpec
from channels.signing import SIGNATURE_HEADER, ReplayGuard
from convsim_core.textsafe import one_line

logger = logging.getLogger(__name__)

BOTFRAMEWORK_ROUTES = (
    "/v3/conversations/{conversation_id}/activities",
    "/v3/conversations/{conversation_id}/activities/{reply_to_id}",
)


@attrs.frozen
class Verdict:
    """The handler's answer to one callback: an HTTP status and, for errors, why."""

    status: int
    reason: str = ""


CallbackHandler = Callable[[bytes, str | None], Verdict]
"""``handler(body, conversation_id_from_url)``; the id is None on the generic route."""


class CallbackServer(AppServer):
    """An aiohttp server on ``spec.host:spec.port`` (port 0: any free port)."""

    label = "callback server"

    def __init__(
        self,
        spec: CallbackSpec,
        *,
        max_body_bytes: int,
        secret: bytes | None,
        handler: CallbackHandler,
        max_connections: int | None = None,
        header_timeout: float = 10.0,
        body_timeout: float = 10.0,
    ) -> None:
        # A callback still in flight at shutdown gets a second, not aiohttp's default minute.
        super().__init__(
            spec.host,
            spec.port,
            access_log=None,
            shutdown_timeout=1.0,
            keepalive_timeout=header_timeout,
            lingering_time=body_timeout,
        )
        self._spec = spec
        self._max = max_body_bytes
        self._secret = secret
        self._handler = handler
        self._body_timeout = body_timeout
        self.guard = ConnectionGuard(
            max_connections=max_connections or default_max_connections(),
            header_timeout=header_timeout,
        )
        self._replays = ReplayGuard()
        self.rejected = 0
        self._unlogged_rejections = 0
        self._rejections_logged_at = -LOG_WINDOW
        self._rejections_in_window = 0

    @property
    def base_url(self) -> str:
        """Where the bot reaches this server (``public_url`` if set); Bot Framework's serviceUrl."""
        return self._spec.public_url or self.url

    @property
    def callback_url(self) -> str:
        return self.base_url + self._spec.path

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=self._max, middlewares=[self._timed])
        app.router.add_post(self._spec.path, self._generic)
        for route in BOTFRAMEWORK_ROUTES:
            app.router.add_post(route, self._botframework)
        return app

    def make_site(self, runner: web.AppRunner, host: str, port: int) -> web.BaseSite:
        return _GuardedSite(runner, host, port, guard=self.guard)

    async def start(self) -> None:
        await super().start()
        logger.info("callback server listening on %s", self.base_url)

    @property
    def open_connections(self) -> int:
        return len(self.guard.open)

    @web.middleware
    async def _timed(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Headers are complete here: stop their clock; start the next one after the answer."""
        self.guard.request_started(request.transport)
        try:
            return await handler(request)
        finally:
            self.guard.arm(request.transport)

    async def _generic(self, request: web.Request) -> web.Response:
        verdict = await self._receive(request)
        if verdict.status != 200:
            return self._reject(request, verdict)
        return web.json_response({"status": "ok"})

    async def _botframework(self, request: web.Request) -> web.Response:
        verdict = await self._receive(request, request.match_info["conversation_id"])
        if verdict.status != 200:
            return self._reject(request, verdict)
        # The connector's ResourceResponse: the id of the activity it stored.
        return web.json_response({"id": uuid.uuid4().hex})

    async def _receive(self, request: web.Request, conversation_id: str | None = None) -> Verdict:
        length = request.content_length
        if length is not None and length > self._max:
            return Verdict(413, f"body of {length} bytes exceeds max_body_bytes ({self._max})")
        try:
            async with asyncio.timeout(self._body_timeout):
                body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return Verdict(413, f"body exceeds max_body_bytes ({self._max})")
        except TimeoutError:
            self.guard.note_slow_body()
            if request.transport is not None:
                request.transport.abort()
            return Verdict(408, f"body not received within {self._body_timeout:g} s")
        if self._secret is not None:
            problem = self._replays.check(self._secret, body, request.headers.get(SIGNATURE_HEADER))
            if problem is not None:
                return Verdict(401, f"{SIGNATURE_HEADER}: {problem}")
        return self._handler(body, conversation_id)

    def _reject(self, request: web.Request, verdict: Verdict) -> web.Response:
        self.rejected += 1
        if verdict.status == 408:  # the connection guard counts and logs these
            return web.json_response({"error": verdict.reason}, status=verdict.status)
        now = time.monotonic()
        if now - self._rejections_logged_at >= LOG_WINDOW:
            self._rejections_logged_at = now
            self._rejections_in_window = 0
        self._rejections_in_window += 1
        if self._rejections_in_window <= _LOGGED_PER_WINDOW:
            held = self._unlogged_rejections
            self._unlogged_rejections = 0
            logger.warning(
                "rejected callback %s %s with HTTP %d: %s%s",
                request.method,
                one_line(request.path[:200]),
                verdict.status,
                one_line(verdict.reason),
                f" ({held} more rejected before this, not shown)" if held else "",
            )
        else:
            self._unlogged_rejections += 1
        return web.json_response({"error": verdict.reason}, status=verdict.status)


_LOGGED_PER_WINDOW = 5
"""Rejected callbacks logged one by one per window; the rest are counted into the next line."""


class _GuardedSite(web.TCPSite):
    """aiohttp's TCP site with :class:`ConnectionGuard` between the socket and the protocol."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, *, guard: ConnectionGuard):
        super().__init__(runner, host, port)
        self._guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        guard = self._guard
        self._server = await loop.create_server(
            lambda: guard.protocol(server()),
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
        )
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port
