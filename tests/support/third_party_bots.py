"""Stand-ins for third-party bots, each a real server on 127.0.0.1 (port 0) speaking the platform's
published protocol, so `convsim probe` and `convsim connect` are tested the way a bot team meets
them on a first try.

- :class:`PlainTextWsBot`: a WebSocket bot reading and writing plain text, a chat per connection.
- :class:`BotkitWsBot`: Botkit's web adapter (botbuilder-adapter-web): the client sends JSON
  ``{"type": "message", "text", "user", "channel"}``; the bot keys its conversations by ``user``,
  logs and ignores frames that are not JSON, and answers ``{"type": "typing"}`` then
  ``{"type": "message", "text", "quick_replies": [{"title", "payload"}]}`` frames (its
  ``activityToMessage``: the activity's type and text, overlaid with its channelData).
- :class:`JsonArrayWebhookBot`: an HTTP bot that takes ``{"session_id", "text"}`` and answers a
  bare JSON array ``[{"text": ...}, ...]``.
- :class:`RasaBot`: Rasa's REST channel (``POST /webhooks/rest/webhook`` ``{"sender", "message"}``
  -> ``[{"recipient_id", "text" | "image" | "buttons"}]``) and its callback channel
  (``POST /webhooks/callback/webhook`` -> ``success``, then one POST per message to the URL in
  its credentials.yml). Button payloads (``/affirm``) are intents, as in Rasa.
- :class:`BotFrameworkBot`: a Bot Framework bot like the Python SDK's echo bot: ``POST
  /api/messages`` with an Activity; it greets every member added by a ``conversationUpdate``
  other than itself, sends each reply to ``{serviceUrl}/v3/conversations/{id}/activities/
  {activityId}``, and answers the incoming POST ``201`` once its turn is done.

Each bot answers "bye"/"goodbye" with a farewell, so tests can check the last word is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import Any, Self

import aiohttp
from aiohttp import web
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.support.timeouts import MS

HOST = "127.0.0.1"
_BYE = re.compile(r"\b(bye|goodbye)\b", re.IGNORECASE)
FAREWELL = "Goodbye, and thanks for chatting!"


def _answer(text: str) -> str:
    """The shared little brain: a greeting, a farewell, else an echo."""
    if _BYE.search(text):
        return FAREWELL
    if text.strip().lower() in ("hi", "hello", "hey"):
        return "Hi! How can I help you today?"
    return f"You said: {text}"


class _WsServer:
    """Lifecycle shared by the WebSocket bots."""

    def __init__(self) -> None:
        self._server: Server | None = None
        self.port = 0
        self.connections = 0

    async def __aenter__(self) -> Self:
        self._server = await serve(self._handle, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"ws://{HOST}:{self.port}/"

    async def _handle(self, ws: ServerConnection) -> None:
        raise NotImplementedError


class PlainTextWsBot(_WsServer):
    """Plain text both ways; every frame it got is kept in ``received``."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[str] = []

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
                self.received.append(text)
                await ws.send(_answer(text))


class BotkitWsBot(_WsServer):
    """Botkit's web adapter with a small dialog that offers quick replies."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[dict[str, Any]] = []
        self.parse_errors: list[str] = []
        self.clients: dict[str, ServerConnection] = {}

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                try:
                    message = json.loads(raw)
                except ValueError:
                    # The adapter logs "Error parsing incoming message from websocket." and
                    # carries on without an answer.
                    self.parse_errors.append(str(raw))
                    continue
                user = message.get("user")
                self.clients[str(user)] = ws
                self.received.append(message)
                if message.get("type") == "message":
                    await self._reply(str(user), str(message.get("text", "")))

    async def _reply(self, user: str, text: str) -> None:
        ws = self.clients[user]
        await ws.send(json.dumps({"type": "typing"}))
        if text.strip().lower() in ("yes", "no"):
            answer: dict[str, Any] = {"type": "message", "text": f"Noted: {text.strip().lower()}."}
        elif _BYE.search(text):
            answer = {"type": "message", "text": FAREWELL}
        else:
            answer = {
                "type": "message",
                "text": "Is this about a refund?",
                "quick_replies": [
                    {"title": "Yes", "payload": "yes"},
                    {"title": "No", "payload": "no"},
                ],
            }
        await ws.send(json.dumps(answer))


class _HttpServer:
    """An aiohttp app on a free port with an outgoing client for callbacks."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.received: list[dict[str, Any]] = []

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=100 * MS)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._client = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def post_json(self, url: str, payload: dict[str, Any]) -> int:
        assert self._client is not None
        async with self._client.post(url, json=payload) as response:
            await response.read()
            return response.status


class JsonArrayWebhookBot(_HttpServer):
    """``POST /chat`` ``{"session_id", "text"}`` -> ``[{"text": ...}]``."""

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/chat", self._chat)

    @property
    def url(self) -> str:
        return self.origin + "/chat"

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        return web.json_response([{"text": _answer(str(body.get("text", "")))}])


class RasaBot(_HttpServer):
    """Rasa's REST and callback channels over one small dialog with an image and buttons."""

    def __init__(self, callback_url: str = "") -> None:
        super().__init__()
        self.callback_url = callback_url
        """The ``url`` of the callback channel in credentials.yml (where replies are POSTed)."""
        self.callback_statuses: list[int] = []

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/webhooks/rest/webhook", self._rest)
        app.router.add_post("/webhooks/callback/webhook", self._callback)
        app.router.add_get("/", self._root)

    async def _root(self, _request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa: 3.6.20")

    def _messages(self, sender: str, text: str) -> list[dict[str, Any]]:
        if text == "/affirm":
            return [{"recipient_id": sender, "text": "Great, your refund is on its way."}]
        if text == "/deny":
            return [{"recipient_id": sender, "text": "Alright, nothing was changed."}]
        if _BYE.search(text):
            return [{"recipient_id": sender, "text": "Bye"}]
        return [
            {"recipient_id": sender, "text": "Here is your last invoice:"},
            {"recipient_id": sender, "image": "https://example.invalid/invoice.png"},
            {
                "recipient_id": sender,
                "text": "Shall I refund the duplicate charge?",
                "buttons": [
                    {"title": "Yes", "payload": "/affirm"},
                    {"title": "No", "payload": "/deny"},
                ],
            },
        ]

    async def _read(self, request: web.Request) -> tuple[str, str]:
        body = await request.json()
        self.received.append(body)
        return str(body["sender"]), str(body["message"])

    async def _rest(self, request: web.Request) -> web.Response:
        sender, text = await self._read(request)
        return web.json_response(self._messages(sender, text))

    async def _callback(self, request: web.Request) -> web.Response:
        sender, text = await self._read(request)

        async def deliver() -> None:
            for message in self._messages(sender, text):
                self.callback_statuses.append(await self.post_json(self.callback_url, message))

        self.spawn(deliver())
        return web.Response(text="success")


class BotFrameworkBot(_HttpServer):
    """A Bot Framework bot: welcome on conversationUpdate, echo on message, 201 when done."""

    def __init__(self) -> None:
        super().__init__()
        self.connector_statuses: list[int] = []
        self.unhandled_errors: list[str] = []

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/messages", self._messages)

    @property
    def url(self) -> str:
        return self.origin + "/api/messages"

    async def _send(self, activity: dict[str, Any], reply: dict[str, Any]) -> None:
        conversation = activity["conversation"]["id"]
        url = (
            f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{conversation}"
            f"/activities/{activity['id']}"
        )
        payload = {
            "type": "message",
            "from": activity["recipient"],
            "recipient": activity["from"],
            "conversation": activity["conversation"],
            "replyToId": activity["id"],
            **reply,
        }
        status = await self.post_json(url, payload)
        self.connector_statuses.append(status)
        if not 200 <= status < 300:
            # The SDK's on_turn_error: "[on_turn_error] unhandled error: ..."
            self.unhandled_errors.append(f"connector answered {status}")

    async def _messages(self, request: web.Request) -> web.Response:
        activity = await request.json()
        self.received.append(activity)
        kind = activity.get("type")
        if kind == "conversationUpdate":
            bot_id = activity["recipient"]["id"]
            for member in activity.get("membersAdded", []):
                if member.get("id") != bot_id:
                    await self._send(activity, {"text": "Hello and welcome!"})
        elif kind == "message":
            text = str(activity.get("text", ""))
            await self._send(activity, {"type": "typing"})
            reply: dict[str, Any] = {"text": f"Echo: {text}"}
            if _BYE.search(text):
                reply = {"text": FAREWELL}
            elif text.strip().lower() == "help":
                reply["suggestedActions"] = {
                    "actions": [
                        {"type": "imBack", "title": "Billing", "value": "billing"},
                        {"type": "imBack", "title": "Shipping", "value": "shipping"},
                    ]
                }
            await self._send(activity, reply)
        # The Python SDK's aiohttp integration answers 201 when there is no invoke response.
        return web.Response(status=201)
