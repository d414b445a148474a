"""A Direct Line 3.0 service for the tests: the REST and streaming API on 127.0.0.1, port 0.

Written from Microsoft's Direct Line 3.0 reference and BotFramework-DirectLineJS: secrets and
expiring conversation tokens (``Authorization: Bearer``), ``POST /v3/directline/conversations``
-> 201 ``{conversationId, token, expires_in, streamUrl}``, ``POST /tokens/refresh``,
``GET /conversations/{id}?watermark=`` (reconnect), ``POST /tokens/generate`` (the secret only:
a token for one not yet started conversation, which ``POST /conversations`` with that token
starts, 201, or returns again, 200), activities with ids ``<conversation>|0000001``
and numeric watermarks, the user's own messages echoed back in the activity stream, typing
activities, and a stream WebSocket that sends ``{activities, watermark}`` sets and empty
keep-alive frames. A 403 means an expired or wrong credential, as on the real service.

The bot behind it answers by the message text: ``burst`` (three replies), ``card`` (a hero
card), ``image``, ``buttons`` (suggested actions), ``end`` (endOfConversation), ``garbage`` (a
bad stream frame and a bad activity first); anything else is echoed as ``echo: <text>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import secrets
import time
from collections import defaultdict
from typing import Any

import attrs
from aiohttp import WSMsgType, web

from channels.app_server import AppServer
from channels.directline_routes import add_directline_routes

HOST = "127.0.0.1"
SECRET = "dl-test-secret-" + "7f3a9c"
BOT = {"id": "test-bot", "name": "Test bot"}


@attrs.define
class _Conversation:
    conversation_id: str
    activities: list[dict[str, Any]] = attrs.field(factory=list)
    streams: list[tuple[web.WebSocketResponse, web.Request]] = attrs.field(factory=list)
    changed: asyncio.Event = attrs.field(factory=asyncio.Event)
    started: bool = False
    """``/tokens/generate`` makes a conversation that starts when its token first starts it."""


class DirectLineServer(AppServer):
    """Direct Line 3.0 on aiohttp; knobs let tests break it the ways the real one breaks.

    Stopped and started again, it listens on the same port (a service restart).
    """

    def __init__(
        self,
        *,
        token_lifetime: float = 1800.0,
        welcome: str | None = None,
        keepalive: float = 0.2,
        refuse_streams: bool = False,
        reply_delay: float = 0.0,
    ) -> None:
        super().__init__(HOST, handle_signals=False, shutdown_timeout=0.5)
        self.reply_delay = reply_delay
        """Seconds the bot thinks after the POST was answered (0: at once)."""
        self.token_lifetime = token_lifetime
        self.welcome = welcome
        self.keepalive = keepalive
        self.refuse_streams = refuse_streams
        self.conversations: dict[str, _Conversation] = {}
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (conversation id, expiry)
        self.received: dict[str, list[str]] = defaultdict(list)
        self.authorizations: list[str] = []
        self.refreshes = 0
        self.generated = 0
        """Tokens made by ``POST /tokens/generate``."""
        self.token_starts = 0
        """``POST /conversations`` calls made with a token (not the secret)."""
        self._refreshed = asyncio.Event()
        self.rejected = 0
        self.stream_connections = 0
        self.polls = 0

    def make_app(self) -> web.Application:
        app = web.Application()
        add_directline_routes(app, self)
        return app

    async def stop(self) -> None:
        if self.running:
            await self.drop_streams()
        await super().stop()

    async def drop_streams(self) -> None:
        """Cut every open stream at the TCP level, with no close frame."""
        for conversation in self.conversations.values():
            for _ws, request in list(conversation.streams):
                if request.transport is not None:
                    request.transport.abort()
            conversation.streams.clear()

    def expire_tokens(self) -> None:
        self.tokens = {token: (cid, 0.0) for token, (cid, _) in self.tokens.items()}

    # -- credentials --------------------------------------------------------------------------

    @staticmethod
    def _error(status: int, code: str, message: str) -> web.Response:
        return web.json_response({"error": {"code": code, "message": message}}, status=status)

    def _bearer(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        self.authorizations.append(header)
        return header.removeprefix("Bearer ") if header.startswith("Bearer ") else None

    def _authorized(self, request: web.Request, cid: str | None) -> web.Response | None:
        """None if the bearer may act on conversation ``cid``; else the error to answer."""
        bearer = self._bearer(request)
        if bearer is None:
            return self._error(401, "BadArgument", "Missing Authorization header")
        if bearer == SECRET:
            return None
        grant = self.tokens.get(bearer)
        if grant is None or (cid is not None and grant[0] != cid):
            self.rejected += 1
            return self._error(403, "BadArgument", "Token or secret is invalid or expired")
        if grant[1] < time.monotonic():
            self.rejected += 1
            return self._error(403, "TokenExpired", "Token expired")
        return None

    def _issue(self, cid: str) -> dict[str, Any]:
        token = secrets.token_urlsafe(24)
        self.tokens[token] = (cid, time.monotonic() + self.token_lifetime)
        return {"conversationId": cid, "token": token, "expires_in": self.token_lifetime}

    def _stream_url(self, cid: str, token: str, watermark: str | None) -> str:
        mark = f"&watermark={watermark}" if watermark else ""
        return f"ws://{HOST}:{self.port}/v3/directline/conversations/{cid}/stream?t={token}{mark}"

    # -- REST ------------------------------------------------------------------------------------

    async def start_conversation(self, request: web.Request) -> web.Response:
        """The secret starts a new conversation; a token starts (or returns) ITS conversation.

        As on the real service: 201 when a conversation was started, 200 when the token's
        conversation had already been started (nothing new is created).
        """
        denied = self._authorized(request, None)
        if denied is not None:
            return denied
        bearer = self._bearer(request) or ""
        if bearer == SECRET:
            cid = secrets.token_hex(8) + "-us"
            conversation = _Conversation(cid)
            self.conversations[cid] = conversation
            grant = self._issue(cid)
        else:
            cid, expiry = self.tokens[bearer]
            conversation = self.conversations[cid]
            left = max(0, round(expiry - time.monotonic()))
            grant = {"conversationId": cid, "token": bearer, "expires_in": left}
            self.token_starts += 1
        status = 200 if conversation.started else 201
        if not conversation.started:
            conversation.started = True
            if self.welcome is not None:  # the bot greets on conversationUpdate (membersAdded)
                self._bot_says(conversation, {"type": "message", "text": self.welcome})
        body = {
            **grant,
            "streamUrl": self._stream_url(cid, grant["token"], None),
            "referenceGrammarId": "c7c0f8d5-0000-0000-0000-000000000000",
        }
        return web.json_response(body, status=status)

    async def reconnect(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        denied = self._authorized(request, cid)
        if denied is not None:
            return denied
        if cid not in self.conversations:
            return self._error(404, "BadArgument", "Conversation not found")
        grant = self._issue(cid)
        watermark = request.query.get("watermark")
        return web.json_response(
            {**grant, "streamUrl": self._stream_url(cid, grant["token"], watermark)}
        )

    async def generate_token(self, request: web.Request) -> web.Response:
        """A token for a conversation that starts when it is first used (secret only)."""
        if self._bearer(request) != SECRET:  # a token cannot make tokens
            self.rejected += 1
            return self._error(403, "BadArgument", "Secret is invalid")
        self.generated += 1
        cid = secrets.token_hex(8) + "-us"
        self.conversations[cid] = _Conversation(cid)
        return web.json_response(self._issue(cid))

    async def refresh_token(self, request: web.Request) -> web.Response:
        denied = self._authorized(request, None)
        if denied is not None:
            return denied
        bearer = self._bearer(request) or ""
        if bearer not in self.tokens:  # the secret never expires: there is nothing to refresh
            self.rejected += 1
            return self._error(403, "BadArgument", "Only a token can be refreshed")
        cid, _ = self.tokens[bearer]
        self.refreshes += 1
        self._refreshed.set()
        return web.json_response(self._issue(cid))

    async def wait_for_refreshes(self, count: int) -> None:
        while self.refreshes < count:
            self._refreshed.clear()
            await self._refreshed.wait()

    async def post_activity(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        denied = self._authorized(request, cid)
        if denied is not None:
            return denied
        activity = await request.json()
        conversation = self.conversations[cid]
        if activity.get("type") == "event":
            stored = self._store(conversation, activity)
            return web.json_response({"id": stored["id"]})
        sender = activity.get("from") or {}
        if activity.get("type") != "message" or not isinstance(sender.get("id"), str):
            return self._error(400, "BadArgument", "Activity needs a type and from.id")
        stored = self._store(conversation, activity)  # the service echoes it to the stream
        text = str(activity.get("text", ""))
        self.received[cid].append(text)
        asyncio.get_running_loop().create_task(self._bot_turn(conversation, text))
        return web.json_response({"id": stored["id"]})

    async def get_activities(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        denied = self._authorized(request, cid)
        if denied is not None:
            return denied
        self.polls += 1
        mark = int(request.query.get("watermark") or 0)
        activities = self.conversations[cid].activities
        return web.json_response(
            {"activities": activities[mark:], "watermark": str(len(activities))}
        )

    # -- the stream --------------------------------------------------------------------------------

    async def stream(self, request: web.Request) -> web.StreamResponse:
        cid = request.match_info["cid"]
        token = request.query.get("t", "")
        grant = self.tokens.get(token)
        if self.refuse_streams or grant is None or grant[0] != cid:
            return self._error(403, "BadArgument", "Stream not available")
        conversation = self.conversations[cid]
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.stream_connections += 1
        conversation.streams.append((ws, request))
        sent = int(request.query.get("watermark") or 0)
        reader = asyncio.get_running_loop().create_task(self._drain(ws))
        try:
            while not ws.closed:
                while sent < len(conversation.activities):
                    sent += 1
                    frame = {"activities": [conversation.activities[sent - 1]]}
                    await ws.send_str(json.dumps({**frame, "watermark": str(sent)}))
                conversation.changed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.keepalive):
                        await conversation.changed.wait()
                        continue
                await ws.send_str("")  # keep-alive
        except (ConnectionError, RuntimeError):
            pass
        finally:
            reader.cancel()
            if (ws, request) in conversation.streams:
                conversation.streams.remove((ws, request))
        return ws

    @staticmethod
    async def _drain(ws: web.WebSocketResponse) -> None:
        async for msg in ws:  # clients never send on the stream; just notice the close
            if msg.type is WSMsgType.ERROR:
                break

    # -- the bot -----------------------------------------------------------------------------------

    def _store(self, conversation: _Conversation, activity: dict[str, Any]) -> dict[str, Any]:
        number = len(conversation.activities) + 1
        stored = {
            **activity,
            "id": f"{conversation.conversation_id}|{number:07d}",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            "channelId": "directline",
            "conversation": {"id": conversation.conversation_id},
            "serviceUrl": "https://directline.botframework.com/",
        }
        conversation.activities.append(stored)
        conversation.changed.set()
        return stored

    def _bot_says(self, conversation: _Conversation, activity: dict[str, Any]) -> None:
        self._store(conversation, {"from": BOT, **activity})

    async def _bot_turn(self, conversation: _Conversation, text: str) -> None:
        await asyncio.sleep(self.reply_delay)
        self._bot_says(conversation, {"type": "typing"})
        replies: list[dict[str, Any]]
        if text == "burst":
            replies = [{"text": word} for word in ("one", "two", "three")]
        elif text == "card":
            card = {
                "title": "Brightbox Router X2",
                "text": "In stock",
                "buttons": [{"type": "imBack", "title": "Buy", "value": "buy"}],
            }
            replies = [
                {
                    "attachments": [
                        {"contentType": "application/vnd.microsoft.card.hero", "content": card}
                    ]
                }
            ]
        elif text == "image":
            image = {"contentType": "image/png", "contentUrl": "https://x.test/a.png"}
            replies = [{"text": "Here it is:", "attachments": [image]}]
        elif text == "buttons":
            actions = [{"type": "imBack", "title": t, "value": t} for t in ("Yes", "No")]
            replies = [{"text": "Did that help?", "suggestedActions": {"actions": actions}}]
        elif text == "end":
            self._bot_says(conversation, {"type": "message", "text": "Goodbye!"})
            self._bot_says(conversation, {"type": "endOfConversation"})
            return
        elif text == "garbage":
            for ws, _request in conversation.streams:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_str("}{ not an activity set")
            replies = [{"text": None, "attachments": "nope"}, {"text": f"echo: {text}"}]
        else:
            replies = [{"text": f"echo: {text}"}]
        for index, reply in enumerate(replies):
            last = index == len(replies) - 1
            hint = "expectingInput" if last else "ignoringInput"
            self._bot_says(conversation, {"type": "message", "inputHint": hint, **reply})
