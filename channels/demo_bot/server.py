"""The demo bot on the wire: one aiohttp app speaking every protocol in docs/architecture.md.

Endpoints (all on one port)::

    GET  /health                   {"status": "ok"}
    WS   /ws                       JSON frames, sessions multiplexed by session_id, typing frames,
                                   "final": true on the last message of a bot turn
    WS   /ws/plain                 plain text frames, one session per connection
    POST /webhook                  sync generic JSON: replies in the response body
    POST /webhook/async            202, then one callback POST per reply (HMAC-signed with a secret)
    POST /webhooks/rest/webhook    Rasa REST
    POST /api/messages             Bot Framework: reply activities POSTed to the serviceUrl
    /socket.io/                    Socket.IO, Rasa's socket channel (socketio_front.py)
    /ws/socket.io/                 Socket.IO, a Chainlit app
    /v3/directline/...             Direct Line 3.0 REST + stream (directline_front.py)

Bad HTTP requests get a 400 with ``{"error": ...}`` and a log line, never a crash; a bad ``/ws``
frame gets ``{"type": "error", "error": ...}`` and the connection stays open. A ``start`` frame
only registers its session; the bot speaks when the customer does.

With ``secret`` set, outgoing callbacks and Bot Framework activities are signed
(``X-Convsim-Signature: sha256=<hex HMAC-SHA256 of the raw body>``), and an incoming request that
carries that header must match it (401 otherwise); unsigned requests are still accepted.

Misbehaviour knobs, all off by default, let other tests exercise a client's failure handling:

``drop_after=N``
    Once per server: the WebSocket connection (``/ws`` or ``/ws/plain``) that carries its Nth
    inbound message is cut at the TCP level, with no close frame; that message gets no reply.
``garbage_every=N``
    Before every Nth reply the bot sends something unparseable: a non-JSON text frame on ``/ws``,
    a binary non-UTF-8 frame on ``/ws/plain``, a non-JSON (but correctly signed) callback POST on
    ``/webhook/async``. Sync HTTP endpoints are unaffected.
``slow_seconds=S``
    Every turn waits S seconds before anything is sent (no typing frame either), e.g. to trip a
    client's response timeout.
``burst=N``
    Every turn is exactly N messages: short turns are padded with "one moment" messages before
    the real last message, long ones have their tail merged.

``reply_delay`` is not a misbehaviour: it is the pause before each reply message (after its
typing frame), so a human watching the demo sees the bot "type".

Over 400 lines on purpose: it is one aiohttp app, one handler per protocol listed above, so a
reader sees every wire format the demo bot speaks in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

import aiohttp
from aiohttp import web

from channels import signing
from channels.app_server import AppServer
from channels.demo_bot.brain import DemoBotBrain
from channels.demo_bot.directline_front import DirectLineFront
from channels.demo_bot.protocols import (
    BadRequest,
    BadSignature,
    BotFrameworkTurn,
    parse_async_webhook,
    parse_bot_framework,
    parse_json,
    parse_rasa,
    parse_sync_webhook,
    parse_ws_frame,
)
from channels.demo_bot.socketio_front import SocketIOFront
from channels.demo_bot.turns import TurnEngine, TurnHooks
from channels.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Convsim-Signature"
GARBAGE_TEXT = "}{ <demo bot garbage: this frame is deliberately not JSON>"
GARBAGE_BYTES = b"\xff\xfe demo bot garbage \x00"


def sign(secret: str, body: bytes) -> str:
    """The ``X-Convsim-Signature`` value for ``body`` (``t=...,n=...,sha256=...``)."""
    return signing.sign(secret.encode("utf-8"), body)


class DeliveryFailed(Exception):
    """A reply could not be POSTed to the client (callback URL or Bot Framework serviceUrl)."""


class DemoBotServer(AppServer):
    """Serves :class:`DemoBotBrain` on 127.0.0.1 for demos and tests.

    Use as ``async with DemoBotServer() as bot:`` or call :meth:`start` / :meth:`stop`.
    ``port=0`` picks a free port; read it back from :attr:`port` / :attr:`url`.
    """

    label = "demo bot"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        reply_delay: float = 0.0,
        typing_events: bool = True,
        secret: str | None = None,
        hold_response: bool = True,
        brain_seed: int = 0,
        drop_after: int | None = None,
        garbage_every: int | None = None,
        slow_seconds: float = 0.0,
        burst: int | None = None,
        shutdown_timeout: float = 2.0,
    ) -> None:
        super().__init__(host, port, handle_signals=False, shutdown_timeout=shutdown_timeout)
        self.typing_events = typing_events
        self.secret = secret
        self._replays = signing.ReplayGuard()
        self.hold_response = hold_response
        self.shutdown_timeout = shutdown_timeout
        self.brain = DemoBotBrain(seed=brain_seed)
        self.turns = TurnEngine(
            self.brain,
            reply_delay=reply_delay,
            drop_after=drop_after,
            garbage_every=garbage_every,
            slow_seconds=slow_seconds,
            burst=burst,
        )
        # Counters for tests and the CLI (more on ``turns``: replies_sent, garbage_sent, dropped).
        self.bad_requests = 0
        self.ws_connections = 0
        self.callback_failures = 0

        self._client: aiohttp.ClientSession | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._websockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()
        self._activity_ids = 0
        self.directline = DirectLineFront(self.turns, typing_events=typing_events)

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen; raises ``OSError`` when the port is taken (nothing is left running)."""
        if self.running:
            return
        await super().start()
        self.directline.base_url = self.url
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        logger.info("demo bot listening on %s", self.url)

    async def stop(self) -> None:
        """Stop listening, close open WebSockets, cancel pending callbacks; safe to call twice."""
        await super().stop()
        await cancel_and_wait(list(self._background))
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http") + "/ws"

    @property
    def plain_ws_url(self) -> str:
        return self.ws_url + "/plain"

    @property
    def endpoints(self) -> dict[str, str]:
        """Every protocol's URL, by a human-readable name (what ``convsim bot`` prints)."""
        return {
            "WebSocket": self.ws_url,
            "Plain WebSocket": self.plain_ws_url,
            "Webhook": f"{self.url}/webhook",
            "Async webhook": f"{self.url}/webhook/async",
            "Rasa REST": f"{self.url}/webhooks/rest/webhook",
            "Bot Framework": f"{self.url}/api/messages",
            "Rasa SocketIO": f"{self.url}/socket.io/",
            "Chainlit SocketIO": f"{self.url}/ws/socket.io/",
            "Direct Line": f"{self.url}/v3/directline",
            "Health": f"{self.url}/health",
        }

    # -- counters ---------------------------------------------------------------------------

    @property
    def received(self) -> Mapping[str, int]:
        """Customer messages received so far, per session id (read-only view)."""
        return self.turns.received

    def received_for(self, session_id: str) -> int:
        return self.turns.received.get(session_id, 0)

    @property
    def replies_sent(self) -> int:
        return self.turns.replies_sent

    @property
    def garbage_sent(self) -> int:
        return self.turns.garbage_sent

    @property
    def dropped(self) -> bool:
        """Whether the one-off ``drop_after`` cut has happened."""
        return self.turns.dropped

    # -- the app ----------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._bad_requests_middleware])
        app.router.add_get("/", self._index)
        app.router.add_get("/health", self._health)
        app.router.add_get("/ws", self._ws_json)
        app.router.add_get("/ws/plain", self._ws_plain)
        app.router.add_post("/webhook", self._webhook)
        app.router.add_post("/webhook/async", self._webhook_async)
        app.router.add_post("/webhooks/rest/webhook", self._rasa)
        app.router.add_post("/api/messages", self._bot_framework)
        app.on_shutdown.append(self._close_websockets)
        SocketIOFront(self.turns, bad_request=self._bad_event).attach(app)
        self.directline.attach(app)
        return app

    def _bad_event(self, problem: str) -> None:
        self.bad_requests += 1
        logger.warning("bad Socket.IO event: %s", problem)

    @web.middleware
    async def _bad_requests_middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadRequest as exc:
            self.bad_requests += 1
            logger.warning("bad request to %s %s: %s", request.method, request.path, exc)
            return web.json_response({"error": str(exc)}, status=exc.status)

    async def _read_json(self, request: web.Request) -> Any:
        """The decoded body; with a secret, a signature that is present must also be right."""
        body = await request.read()
        signature = request.headers.get(SIGNATURE_HEADER)
        if self.secret is not None and signature is not None:
            problem = self._replays.check(self.secret.encode("utf-8"), body, signature)
            if problem is not None:
                raise BadSignature(f"{SIGNATURE_HEADER}: {problem}")
        return parse_json(body)

    async def _close_websockets(self, _app: web.Application) -> None:
        for ws in list(self._websockets):
            await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"server shutdown")

    async def _index(self, _request: web.Request) -> web.Response:
        return web.json_response({"name": "convsim demo bot", "endpoints": self.endpoints})

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    # -- background work ------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None], what: str) -> asyncio.Task[None]:
        """Run a turn in the background, keeping a reference and logging its failure."""
        task = asyncio.create_task(self._guarded(coro, what))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    @staticmethod
    async def _guarded(coro: Coroutine[Any, Any, None], what: str) -> None:
        try:
            await coro
        except (DeliveryFailed, ConnectionError, aiohttp.ClientError) as exc:
            logger.warning("%s: %s", what, exc)
        except Exception:
            logger.exception("%s failed", what)

    # -- WebSocket ----------------------------------------------------------------------------

    async def _open_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(timeout=self.shutdown_timeout)
        await ws.prepare(request)
        self._websockets.add(ws)
        self.ws_connections += 1
        return ws

    @staticmethod
    def _abort(request: web.Request) -> None:
        logger.warning("drop_after: cutting the WebSocket connection without a close frame")
        transport = request.transport
        if transport is not None:
            transport.abort()

    async def _serve_ws(
        self,
        request: web.Request,
        ws: web.WebSocketResponse,
        route: Callable[[str], Awaitable[tuple[str, str] | None]],
        turn: Callable[[str, str], Coroutine[Any, Any, None]],
    ) -> None:
        """Read frames until the client leaves; each customer message runs as its own task.

        ``route`` turns a text frame into ``(session_id, text)``, or None when it was handled
        already (a ``start`` frame, a bad frame). Turns of one session still queue up in order
        (``TurnEngine`` locks per session) while other sessions answer concurrently.
        """
        tasks: set[asyncio.Task[None]] = set()
        seen: set[str] = set()
        inbound = 0
        try:
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.ERROR:
                    break
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    self.bad_requests += 1
                    logger.warning("%s: ignoring a non-text frame", request.path)
                    continue
                routed = await route(msg.data)
                if routed is None:
                    continue
                session_id, text = routed
                seen.add(session_id)
                self.turns.count(session_id)
                inbound += 1
                if self.turns.take_drop(inbound):
                    self._abort(request)
                    break
                task = asyncio.create_task(
                    self._guarded(turn(session_id, text), f"{request.path} reply")
                )
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            await cancel_and_wait(list(tasks))
            for session_id in seen:  # every conversation of a connection ends with it
                self.turns.forget(session_id)

    async def _ws_json(self, request: web.Request) -> web.WebSocketResponse:
        ws = await self._open_ws(request)
        send_lock = asyncio.Lock()

        async def send(payload: str) -> None:
            async with send_lock:
                await ws.send_str(payload)

        async def route(raw: str) -> tuple[str, str] | None:
            try:
                kind, session_id, text = parse_ws_frame(raw)
            except BadRequest as exc:
                self.bad_requests += 1
                logger.warning("/ws: bad frame: %s", exc)
                with contextlib.suppress(ConnectionError):
                    await send(json.dumps({"type": "error", "error": str(exc)}))
                return None
            if kind == "start":
                self.turns.open_session(session_id)
                return None
            return session_id, text

        async def turn(session_id: str, text: str) -> None:
            async def typing(_index: int) -> None:
                if self.typing_events:
                    await send(json.dumps({"type": "typing", "session_id": session_id}))

            async def deliver(reply: str, final: bool) -> None:
                frame = {"type": "message", "session_id": session_id, "text": reply}
                await send(json.dumps({**frame, "final": final}))

            async def garbage() -> None:
                await send(GARBAGE_TEXT)

            await self.turns.run(
                session_id, text, deliver, TurnHooks(before_reply=typing, garbage=garbage)
            )

        await self._serve_ws(request, ws, route, turn)
        return ws

    async def _ws_plain(self, request: web.Request) -> web.WebSocketResponse:
        ws = await self._open_ws(request)
        session_id = f"plain-{uuid.uuid4().hex[:12]}"
        send_lock = asyncio.Lock()

        async def route(raw: str) -> tuple[str, str]:
            return session_id, raw

        async def deliver(reply: str, _final: bool) -> None:
            async with send_lock:
                await ws.send_str(reply)

        async def garbage() -> None:
            async with send_lock:
                await ws.send_bytes(GARBAGE_BYTES)

        async def turn(session_id: str, text: str) -> None:
            await self.turns.run(session_id, text, deliver, TurnHooks(garbage=garbage))

        await self._serve_ws(request, ws, route, turn)  # which forgets the session at the end
        return ws

    # -- HTTP ------------------------------------------------------------------------------------

    async def _webhook(self, request: web.Request) -> web.Response:
        session_id, text = parse_sync_webhook(await self._read_json(request))
        replies = await self._collect(session_id, text)
        return web.json_response(
            {"session_id": session_id, "replies": [{"text": reply} for reply in replies]}
        )

    async def _rasa(self, request: web.Request) -> web.Response:
        sender, text = parse_rasa(await self._read_json(request))
        replies = await self._collect(sender, text)
        return web.json_response([{"recipient_id": sender, "text": reply} for reply in replies])

    async def _collect(self, session_id: str, text: str) -> list[str]:
        self.turns.count(session_id)
        replies: list[str] = []

        async def deliver(reply: str, _final: bool) -> None:
            replies.append(reply)

        await self.turns.run(session_id, text, deliver)
        return replies

    async def _webhook_async(self, request: web.Request) -> web.Response:
        session_id, text, callback_url = parse_async_webhook(await self._read_json(request))
        self.turns.count(session_id)

        async def deliver(reply: str, final: bool) -> None:
            body = {"session_id": session_id, "text": reply, "final": final}
            await self._post(callback_url, json.dumps(body).encode("utf-8"))

        async def garbage() -> None:
            await self._post(callback_url, GARBAGE_TEXT.encode("utf-8"))

        turn = self.turns.run(session_id, text, deliver, TurnHooks(garbage=garbage))
        self._spawn(turn, f"callback to {callback_url}")
        return web.json_response({"status": "accepted"}, status=202)

    async def _post(self, url: str, body: bytes) -> None:
        """POST raw JSON bytes, signed over exactly those bytes when a secret is set."""
        if self._client is None:
            raise DeliveryFailed("the demo bot is shutting down")
        headers = {"Content-Type": "application/json"}
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        try:
            async with self._client.post(url, data=body, headers=headers) as response:
                if response.status >= 400:
                    raise DeliveryFailed(f"POST {url} answered {response.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.callback_failures += 1
            raise DeliveryFailed(f"POST {url} failed: {exc or type(exc).__name__}") from exc
        except DeliveryFailed:
            self.callback_failures += 1
            raise

    async def _bot_framework(self, request: web.Request) -> web.Response:
        turn_request = parse_bot_framework(await self._read_json(request))
        if turn_request is None:  # conversationUpdate, typing, ...: acknowledged, not answered
            return web.json_response({})
        self.turns.count(turn_request.conversation_id)
        turn = self._bot_framework_turn(turn_request)
        if not self.hold_response:
            self._spawn(turn, f"Bot Framework reply to {turn_request.service_url}")
            return web.json_response({"status": "accepted"}, status=202)
        try:
            await turn
        except DeliveryFailed as exc:
            logger.warning("Bot Framework reply failed: %s", exc)
            return web.json_response({"error": str(exc)}, status=502)
        return web.json_response({})

    async def _bot_framework_turn(self, incoming: BotFrameworkTurn) -> None:
        url = incoming.reply_url

        async def typing(index: int) -> None:
            if self.typing_events and index == 0:
                await self._post(url, json.dumps(incoming.reply("typing")).encode("utf-8"))

        async def deliver(reply: str, final: bool) -> None:
            self._activity_ids += 1
            activity = incoming.reply(
                "message",
                id=f"demo-bot-{self._activity_ids}",
                text=reply,
                textFormat="plain",
                inputHint="expectingInput" if final else "ignoringInput",
            )
            await self._post(url, json.dumps(activity).encode("utf-8"))

        await self.turns.run(
            incoming.conversation_id, incoming.text, deliver, TurnHooks(before_reply=typing)
        )
