"""The demo bot over Socket.IO: Rasa's socket channel and a Chainlit app, on the demo's port.

Two python-socketio servers are attached to the demo bot's aiohttp app:

``/socket.io`` (Rasa's ``socketio`` channel with ``session_persistence: true``)
    ``session_request {session_id}`` is answered by ``session_confirm <session_id>``;
    ``user_uttered {message, session_id}`` by one ``bot_uttered {text}`` per reply, with
    ``quick_replies`` (Yes / No) when the bot asks a yes-or-no question.
``/ws/socket.io`` (Chainlit)
    auth ``{sessionId, clientType, ...}``; ``client_message {message: {output, ...}}`` is
    answered by ``task_start``, one ``new_message`` step (``type: assistant_message``) per reply
    and ``task_end``.

Malformed events are counted in ``bad_requests`` and logged; the connection stays open.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any

import socketio  # type: ignore[import-untyped]
from aiohttp import web

from channels.demo_bot.turns import TurnEngine

logger = logging.getLogger(__name__)

RASA_PATH = "socket.io"
CHAINLIT_PATH = "ws/socket.io"
_YES_NO = ("yes or no", "anything else")
BOT_NAME = "Brightbox demo bot"


def quick_replies(reply: str) -> list[dict[str, str]]:
    """Rasa buttons for a yes-or-no question; none for anything else."""
    lowered = reply.lower()
    if not reply.rstrip().endswith("?") or not any(cue in lowered for cue in _YES_NO):
        return []
    return [
        {"content_type": "text", "title": title, "payload": title.lower()}
        for title in ("Yes", "No")
    ]


class SocketIOFront:
    """Serves :class:`TurnEngine` as Rasa and Chainlit do; ``bad_request`` counts mistakes."""

    def __init__(self, turns: TurnEngine, *, bad_request: Callable[[str], None]) -> None:
        self.turns = turns
        self._bad_request = bad_request
        self.rasa: Any = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
        self.chainlit: Any = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
        self._chainlit_sessions: dict[str, str] = {}
        self._register_rasa(self.rasa)
        self._register_chainlit(self.chainlit)

    def attach(self, app: web.Application) -> None:
        self.rasa.attach(app, socketio_path=RASA_PATH)
        self.chainlit.attach(app, socketio_path=CHAINLIT_PATH)
        app.on_shutdown.append(self._shutdown)

    async def _shutdown(self, _app: web.Application) -> None:
        for server in (self.rasa, self.chainlit):
            await server.shutdown()

    # -- Rasa -------------------------------------------------------------------------------------

    def _register_rasa(self, sio: Any) -> None:
        async def session_request(sid: str, data: Any = None) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            session_id = session_id or uuid.uuid4().hex
            self.turns.open_session(session_id)
            await sio.emit("session_confirm", session_id, to=sid)

        async def user_uttered(sid: str, data: Any = None) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                self._bad_request(f"user_uttered needs {{message, session_id}}, got {data!r}")
                return
            session_id = str(data.get("session_id") or sid)
            self.turns.count(session_id)

            async def deliver(reply: str, _final: bool) -> None:
                event: dict[str, Any] = {"text": reply}
                buttons = quick_replies(reply)
                if buttons:
                    event["quick_replies"] = buttons
                await sio.emit("bot_uttered", event, to=sid)

            await self.turns.run(session_id, data["message"], deliver)

        sio.on("session_request", session_request)
        sio.on("user_uttered", user_uttered)

    # -- Chainlit ---------------------------------------------------------------------------------

    def _register_chainlit(self, sio: Any) -> None:
        async def connect(sid: str, _environ: Any, auth: Any = None) -> bool:
            if not isinstance(auth, dict) or not isinstance(auth.get("sessionId"), str):
                self._bad_request("Chainlit connect without a sessionId in auth")
                raise socketio.exceptions.ConnectionRefusedError("missing sessionId")
            self._chainlit_sessions[sid] = auth["sessionId"]
            return True

        async def disconnect(sid: str, *_args: Any) -> None:
            self._chainlit_sessions.pop(sid, None)

        async def connection_successful(sid: str, *_args: Any) -> None:
            await sio.emit("task_end", {}, to=sid)

        async def client_message(sid: str, payload: Any = None) -> None:
            message = payload.get("message") if isinstance(payload, dict) else None
            text = message.get("output") if isinstance(message, dict) else None
            session_id = self._chainlit_sessions.get(sid)
            if not isinstance(text, str) or session_id is None:
                self._bad_request(f"client_message needs message.output, got {payload!r}")
                return
            self.turns.count(session_id)

            async def deliver(reply: str, _final: bool) -> None:
                await sio.emit("new_message", chainlit_step(session_id, reply), to=sid)

            await sio.emit("task_start", {}, to=sid)
            try:
                await self.turns.run(session_id, text, deliver)
            finally:
                await sio.emit("task_end", {}, to=sid)

        sio.on("connect", connect)
        sio.on("disconnect", disconnect)
        sio.on("connection_successful", connection_successful)
        sio.on("client_message", client_message)


def chainlit_step(
    thread_id: str, output: str, *, name: str = BOT_NAME, kind: str = "assistant_message"
) -> dict[str, Any]:
    """One Chainlit step as ``new_message`` carries it (``kind``: ``run``, ``tool``...)."""
    now = dt.datetime.now(dt.UTC).isoformat()
    return {
        "id": str(uuid.uuid4()),
        "threadId": thread_id,
        "parentId": None,
        "name": name,
        "type": kind,
        "output": output,
        "createdAt": now,
        "start": now,
        "end": now,
        "streaming": False,
        "isError": False,
        "waitForAnswer": False,
    }
