"""Socket.IO bots for the tests: python-socketio servers speaking Rasa's and Chainlit's events.

Both are real servers (``socketio.AsyncServer`` on an aiohttp app, 127.0.0.1, port 0) written
from the platforms' own server code: Rasa's ``rasa/core/channels/socketio.py`` (``session_request``
answered by ``session_confirm``, ``user_uttered`` -> ``bot_uttered`` with ``text``,
``quick_replies`` and ``attachment``) and Chainlit's ``backend/chainlit/socket.py`` and
``emitter.py`` (auth ``{sessionId, clientType, ...}``, ``connection_successful``, ``client_message``
-> ``task_start``, ``new_message`` steps, ``task_end``).

The message text is the test's remote control: ``buttons``, ``image``, ``garbage`` (bad event
data first), ``burst`` (three replies), ``drop`` (answer, then the server cuts the session);
anything else is echoed as ``echo: <text>``. Every bot records what it received per session, so
tests can assert nothing was lost or sent twice; :meth:`restart` stops the server and starts it
again on the same port with the same memory, as a redeploy would.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from typing import Any

import socketio  # type: ignore[import-untyped]
from aiohttp import web

from channels.app_server import AppServer
from channels.demo_bot.socketio_front import chainlit_step

HOST = "127.0.0.1"


class _SocketIOBot(AppServer):
    """What both bots share: the aiohttp app, the port, restarts and the received log."""

    def __init__(self, *, path: str = "socket.io", welcome: str | None = None) -> None:
        super().__init__(HOST, handle_signals=False, shutdown_timeout=0.5)
        self.path = path
        self.welcome = welcome
        self.received: dict[str, list[str]] = defaultdict(list)
        self.connections = 0
        self.auth_seen: list[Any] = []
        self.query_seen: list[str] = []
        self.sio: Any = None

    def make_app(self) -> web.Application:
        self.sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
        self._register(self.sio)
        app = web.Application()
        self.sio.attach(app, socketio_path=self.path)
        return app

    async def stop(self) -> None:
        if self.running:
            for sid in list(_connected_sids(self.sio)):
                await self.sio.disconnect(sid)
        await super().stop()

    async def restart(self, down_for: float = 0.0) -> None:
        await self.stop()
        await asyncio.sleep(down_for)
        await self.start()

    def _register(self, sio: Any) -> None:
        raise NotImplementedError

    @staticmethod
    def replies(text: str) -> list[str]:
        if text == "burst":
            return ["one", "two", "three"]
        return [f"echo: {text}"]


def _connected_sids(sio: Any) -> list[str]:
    rooms = sio.manager.rooms.get("/", {}).get(None, {})
    return list(rooms)


class RasaSocketBot(_SocketIOBot):
    """Rasa's socket channel with ``session_persistence: true`` (sender = session_id)."""

    def __init__(self, *, namespace: str = "/", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.namespace = namespace
        self.session_requests: list[Any] = []

    def _register(self, sio: Any) -> None:
        ns = self.namespace

        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
            self.connections += 1
            self.auth_seen.append(auth)
            self.query_seen.append(str(environ.get("QUERY_STRING", "")))
            if isinstance(auth, dict) and auth.get("token") == "wrong":
                raise socketio.exceptions.ConnectionRefusedError("authentication failed")

        async def session_request(sid: str, data: Any = None) -> None:
            self.session_requests.append(data)
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id") or uuid.uuid4().hex
            await sio.emit("session_confirm", session_id, room=sid, namespace=ns)
            if self.welcome is not None and not self.received.get(session_id):
                await sio.emit("bot_uttered", {"text": self.welcome}, room=sid, namespace=ns)

        async def user_uttered(sid: str, data: Any) -> None:
            session_id = data.get("session_id") or sid
            text = data["message"]
            self.received[session_id].append(text)
            await self._answer(sio, sid, text)

        sio.on("connect", connect, namespace=ns)
        sio.on("session_request", session_request, namespace=ns)
        sio.on("user_uttered", user_uttered, namespace=ns)

    async def _answer(self, sio: Any, sid: str, text: str) -> None:
        ns = self.namespace

        async def say(data: Any) -> None:
            await sio.emit("bot_uttered", data, room=sid, namespace=ns)

        if text == "buttons":
            quick = [
                {"content_type": "text", "title": title, "payload": f"/{title.lower()}"}
                for title in ("Yes", "No")
            ]
            await say({"text": "Did that help?", "quick_replies": quick})
        elif text == "image":
            await say({"attachment": {"type": "image", "payload": {"src": "https://x.test/a.png"}}})
        elif text == "garbage":
            eio_sid = sio.manager.eio_sid_from_sid(sid, ns)
            await sio.eio.send(eio_sid, "9 this is no Socket.IO packet")  # below the events
            await say(42)
            await say({"txt": "no text field"})
            await say(f"echo: {text}")  # a JSON-looking string is not JSON either
            await say({"text": f"echo: {text}"})
        else:
            for reply in self.replies(text):
                await say({"text": reply})
        if text == "drop":
            await sio.disconnect(sid, namespace=ns)


class ChainlitSocketBot(_SocketIOBot):
    """A Chainlit app: steps as ``new_message``, each turn framed by task_start / task_end."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("path", "ws/socket.io")
        super().__init__(**kwargs)
        self.sessions: dict[str, str] = {}  # socket id -> Chainlit sessionId
        self.started: set[str] = set()

    def _register(self, sio: Any) -> None:
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            self.connections += 1
            self.auth_seen.append(auth)
            if not isinstance(auth, dict) or "sessionId" not in auth or "clientType" not in auth:
                raise socketio.exceptions.ConnectionRefusedError("missing sessionId")
            self.sessions[sid] = auth["sessionId"]
            return True

        async def connection_successful(sid: str, *_args: Any) -> None:
            session_id = self.sessions[sid]
            await sio.emit("task_end", {}, to=sid)
            if self.welcome is not None and session_id not in self.started:
                self.started.add(session_id)  # on_chat_start runs once per session
                await sio.emit("new_message", self._step(session_id, self.welcome), to=sid)

        async def client_message(sid: str, payload: Any) -> None:
            session_id = self.sessions[sid]
            message = payload["message"]
            uuid.UUID(message["id"])  # Chainlit asserts a uuid4 from the client
            text = message["output"]
            self.received[session_id].append(text)
            await sio.emit("task_start", {}, to=sid)
            await sio.emit("new_message", self._step(session_id, "thinking", kind="run"), to=sid)
            if text == "garbage":
                await sio.emit("new_message", {"type": "assistant_message"}, to=sid)
            if (
                text == "stream"
            ):  # msg = cl.Message(""); await msg.send(); stream; await msg.update()
                step = self._step(session_id, "")
                await sio.emit("new_message", step, to=sid)
                for token in ("Stream", "ed ", "answer"):
                    await sio.emit("stream_token", {"id": step["id"], "token": token}, to=sid)
                await sio.emit("update_message", {**step, "output": "Streamed answer"}, to=sid)
                await sio.emit("update_message", {**step, "output": "Streamed answer"}, to=sid)
            else:
                for reply in self.replies(text):
                    await sio.emit("new_message", self._step(session_id, reply), to=sid)
            await sio.emit("task_end", {}, to=sid)

        sio.on("connect", connect)
        sio.on("connection_successful", connection_successful)
        sio.on("client_message", client_message)

    @staticmethod
    def _step(session_id: str, output: str, *, kind: str = "assistant_message") -> dict[str, Any]:
        return chainlit_step(session_id, output, name="Assistant", kind=kind)


class EchoSocketServer(_SocketIOBot):
    """The benchmark's baseline: answers ``user_uttered`` with one ``bot_uttered`` at once."""

    def _register(self, sio: Any) -> None:
        async def user_uttered(sid: str, data: Any) -> None:
            await sio.emit("bot_uttered", {"text": f"echo: {data['message']}"}, room=sid)

        async def session_request(sid: str, data: Any = None) -> None:
            await sio.emit("session_confirm", (data or {}).get("session_id"), room=sid)

        sio.on("user_uttered", user_uttered)
        sio.on("session_request", session_request)
