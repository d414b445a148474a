"""The demo bot behind a Direct Line 3.0 front, as Azure Bot Service would put it.

Routes under ``/v3/directline``: ``POST /conversations`` (201 ``{conversationId, token,
expires_in, streamUrl}``), ``GET /conversations/{id}`` (reconnect), ``POST /tokens/generate``
and ``/tokens/refresh``,
``POST|GET /conversations/{id}/activities`` and the stream WebSocket
``/conversations/{id}/stream?t=<token>`` sending ``{activities, watermark}`` sets and empty
keep-alive frames. The customer's messages are echoed into the activity stream, typing
activities precede replies, and a turn's last reply says ``inputHint: expectingInput``.

Offline by design: with no ``secret`` any bearer (or none) may start a conversation; with one,
only that secret may. Tokens are per conversation and checked on every call.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import secrets
from typing import Any

import attrs
from aiohttp import WSMsgType, web

from channels.demo_bot.turns import TurnEngine, TurnHooks
from channels.directline_routes import BASE, add_directline_routes
from channels.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

BOT_ACCOUNT = {"id": "demo-bot", "name": "Brightbox demo bot"}
TOKEN_LIFETIME = 1800
KEEPALIVE_SECONDS = 15.0


@attrs.define
class _Conversation:
    conversation_id: str
    activities: list[dict[str, Any]] = attrs.field(factory=list)
    changed: asyncio.Event = attrs.field(factory=asyncio.Event)


class DirectLineFront:
    """Direct Line over :class:`TurnEngine`; ``base_url`` is read when a stream URL is made."""

    def __init__(
        self, turns: TurnEngine, *, secret: str | None = None, typing_events: bool = True
    ) -> None:
        self.turns = turns
        self.secret = secret
        self.typing_events = typing_events
        self.base_url = ""
        self.conversations: dict[str, _Conversation] = {}
        self._tokens: dict[str, str] = {}  # token -> conversation id
        self._tasks: set[asyncio.Task[None]] = set()
        self._streams: set[web.WebSocketResponse] = set()

    def attach(self, app: web.Application) -> None:
        add_directline_routes(app, self)
        app.on_shutdown.append(self._shutdown)

    async def _shutdown(self, _app: web.Application) -> None:
        for ws in list(self._streams):
            await ws.close()
        await cancel_and_wait(list(self._tasks))

    # -- credentials ----------------------------------------------------------------------------

    @staticmethod
    def _error(status: int, message: str) -> web.Response:
        return web.json_response(
            {"error": {"code": "BadArgument", "message": message}}, status=status
        )

    @staticmethod
    def _bearer(request: web.Request) -> str:
        return request.headers.get("Authorization", "").removeprefix("Bearer ").strip()

    def _conversation_for(self, request: web.Request) -> _Conversation | web.Response:
        cid = request.match_info["cid"]
        bearer = self._bearer(request)
        by_secret = self.secret is not None and bearer == self.secret
        if self._tokens.get(bearer) != cid and not by_secret:
            return self._error(403, "token is invalid or expired")
        conversation = self.conversations.get(cid)
        if conversation is None:
            return self._error(404, "conversation not found")
        return conversation

    def _grant(self, cid: str, watermark: str | None = None) -> dict[str, Any]:
        token = secrets.token_urlsafe(24)
        self._tokens[token] = cid
        mark = f"&watermark={watermark}" if watermark else ""
        ws_base = "ws" + self.base_url.removeprefix("http")
        return {
            "conversationId": cid,
            "token": token,
            "expires_in": TOKEN_LIFETIME,
            "streamUrl": f"{ws_base}{BASE}/conversations/{cid}/stream?t={token}{mark}",
        }

    # -- REST -------------------------------------------------------------------------------------

    async def start_conversation(self, request: web.Request) -> web.Response:
        if self.secret is not None and self._bearer(request) != self.secret:
            return self._error(403, "the Direct Line secret is wrong")
        cid = "demo-" + secrets.token_hex(8)
        self.conversations[cid] = _Conversation(cid)
        self.turns.open_session(cid)
        return web.json_response(self._grant(cid), status=201)

    async def reconnect(self, request: web.Request) -> web.Response:
        found = self._conversation_for(request)
        if isinstance(found, web.Response):
            return found
        return web.json_response(self._grant(found.conversation_id, request.query.get("watermark")))

    async def generate_token(self, request: web.Request) -> web.Response:
        if self.secret is not None and self._bearer(request) != self.secret:
            return self._error(403, "the Direct Line secret is wrong")
        cid = "demo-" + secrets.token_hex(8)
        self.conversations[cid] = _Conversation(cid)
        grant = self._grant(cid)
        del grant["streamUrl"]
        return web.json_response(grant)

    async def refresh_token(self, request: web.Request) -> web.Response:
        cid = self._tokens.pop(self._bearer(request), None)
        if cid is None:
            return self._error(403, "token is invalid or expired")
        grant = self._grant(cid)
        del grant["streamUrl"]
        return web.json_response(grant)

    async def post_activity(self, request: web.Request) -> web.Response:
        found = self._conversation_for(request)
        if isinstance(found, web.Response):
            return found
        try:
            activity = json.loads(await request.read())
        except (UnicodeDecodeError, json.JSONDecodeError):
            return self._error(400, "the activity is not JSON")
        sender = activity.get("from") if isinstance(activity, dict) else None
        if not isinstance(sender, dict) or not isinstance(activity.get("type"), str):
            return self._error(400, "an activity needs a type and from.id")
        stored = self._store(found, activity)
        text = activity.get("text")
        if activity["type"] == "message" and isinstance(text, str):
            self.turns.count(found.conversation_id)
            task = asyncio.get_running_loop().create_task(self._turn(found, text))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response({"id": stored["id"]})

    async def get_activities(self, request: web.Request) -> web.Response:
        found = self._conversation_for(request)
        if isinstance(found, web.Response):
            return found
        mark = _watermark(request)
        return web.json_response(
            {"activities": found.activities[mark:], "watermark": str(len(found.activities))}
        )

    # -- stream -----------------------------------------------------------------------------------

    async def stream(self, request: web.Request) -> web.StreamResponse:
        cid = request.match_info["cid"]
        conversation = self.conversations.get(cid)
        if conversation is None or self._tokens.get(request.query.get("t", "")) != cid:
            return self._error(403, "token is invalid or expired")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._streams.add(ws)
        sent = _watermark(request)
        drain = asyncio.get_running_loop().create_task(_drain(ws))
        try:
            while not ws.closed:
                if sent < len(conversation.activities):
                    batch = conversation.activities[sent:]
                    sent = len(conversation.activities)
                    await ws.send_str(json.dumps({"activities": batch, "watermark": str(sent)}))
                    continue
                conversation.changed.clear()
                try:
                    async with asyncio.timeout(KEEPALIVE_SECONDS):
                        await conversation.changed.wait()
                except TimeoutError:
                    await ws.send_str("")
        except (ConnectionError, RuntimeError):
            pass
        finally:
            drain.cancel()
            self._streams.discard(ws)
        return ws

    # -- the bot --------------------------------------------------------------------------------

    def _store(self, conversation: _Conversation, activity: dict[str, Any]) -> dict[str, Any]:
        number = len(conversation.activities) + 1
        stored = {
            **activity,
            "id": f"{conversation.conversation_id}|{number:07d}",
            "timestamp": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            "channelId": "directline",
            "conversation": {"id": conversation.conversation_id},
        }
        conversation.activities.append(stored)
        conversation.changed.set()
        return stored

    async def _turn(self, conversation: _Conversation, text: str) -> None:
        async def typing(_index: int) -> None:
            if self.typing_events:
                self._store(conversation, {"type": "typing", "from": BOT_ACCOUNT})

        async def deliver(reply: str, final: bool) -> None:
            hint = "expectingInput" if final else "ignoringInput"
            activity = {"type": "message", "from": BOT_ACCOUNT, "text": reply, "inputHint": hint}
            self._store(conversation, activity)

        await self.turns.run(
            conversation.conversation_id, text, deliver, TurnHooks(before_reply=typing)
        )


def _watermark(request: web.Request) -> int:
    raw = request.query.get("watermark") or "0"
    return int(raw) if raw.isdigit() else 0


async def _drain(ws: web.WebSocketResponse) -> None:
    with contextlib.suppress(ConnectionError, RuntimeError):
        async for msg in ws:
            if msg.type is WSMsgType.ERROR:
                break
