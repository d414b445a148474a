"""The HTTP server convsim runs for bots that answer later, by POSTing their replies back.

It serves the profile's callback path (generic JSON callbacks) and the Bot Framework connector
routes ``POST /v3/conversations/{id}/activities[/{replyToId}]``. The server only does HTTP:
size limit (413), signature (401); the channel's handler parses, routes and delivers and says
which status to answer (400 malformed, 404 unknown session). A rejected callback is logged and
never delivered. The handler is synchronous and never waits for anything, so a bot that holds its
own HTTP response until its callbacks were answered (Bot Framework) cannot deadlock the channel.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import attrs
from aiohttp import web

from channels.profile import CallbackSpec
from channels.signing import SIGNATURE_HEADER, verify

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


class CallbackServer:
    """An aiohttp server on ``spec.host:spec.port`` (port 0: any free port)."""

    def __init__(
        self,
        spec: CallbackSpec,
        *,
        max_body_bytes: int,
        secret: bytes | None,
        handler: CallbackHandler,
    ) -> None:
        self._spec = spec
        self._max = max_body_bytes
        self._secret = secret
        self._handler = handler
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def base_url(self) -> str:
        """Where the bot reaches this server (``public_url`` if set); Bot Framework's serviceUrl."""
        if self._spec.public_url:
            return self._spec.public_url
        if self._port is None:
            raise RuntimeError("the callback server is not started")
        host = self._spec.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self._port}"

    @property
    def callback_url(self) -> str:
        return self.base_url + self._spec.path

    @property
    def port(self) -> int | None:
        return self._port

    async def start(self) -> None:
        app = web.Application(client_max_size=self._max)
        app.router.add_post(self._spec.path, self._generic)
        for route in BOTFRAMEWORK_ROUTES:
            app.router.add_post(route, self._botframework)
        # A callback still in flight at shutdown gets a second, not aiohttp's default minute.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self._spec.host, self._spec.port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = site.port
        logger.info("callback server listening on %s", self.base_url)

    async def stop(self) -> None:
        """Stop serving; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

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
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return Verdict(413, f"body exceeds max_body_bytes ({self._max})")
        if self._secret is not None and not verify(
            self._secret, body, request.headers.get(SIGNATURE_HEADER)
        ):
            return Verdict(401, f"missing or bad {SIGNATURE_HEADER} header")
        return self._handler(body, conversation_id)

    @staticmethod
    def _reject(request: web.Request, verdict: Verdict) -> web.Response:
        logger.warning(
            "rejected callback %s %s with HTTP %d: %s",
            request.method,
            request.path,
            verdict.status,
            verdict.reason,
        )
        return web.json_response({"error": verdict.reason}, status=verdict.status)
