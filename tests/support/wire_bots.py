"""Small purpose-built bots for the wire tests, each a real server on 127.0.0.1, port 0.

The message text is the test's remote control: ``"burst"`` makes a bot answer three times,
``"garbage"`` sends a non-JSON frame first, ``"drop"`` answers and then kills the connection,
and so on (see each bot's ``_replies``). Anything else is echoed as ``"echo: <text>"``. Every bot
records what it received so tests can assert that nothing was lost or sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

from channels.signing import SIGNATURE_HEADER, sign, verify
from convsim_core.channel import ChannelError, ChannelState, ProtocolError, Session
from tests.support.timeouts import MS

HOST = "127.0.0.1"


class Hooks:
    """Follows a session like a runner would: hooks recorded, ``subscribe()`` read in a task.

    ``log`` holds agent texts and ``"<turn>"`` markers in the order the runner would see them.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.states: list[tuple[ChannelState, str]] = []
        self.errors: list[ProtocolError] = []
        self.texts: list[str] = []
        self.log: list[str] = []
        self.turns = 0
        self.failure: ChannelError | None = None
        self.ended = False
        self._changed = asyncio.Event()
        session.on_state_change = self._on_state
        session.on_protocol_error = self._on_error
        session.on_turn_complete = self._on_turn
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.session.subscribe():
                self.texts.append(message.content)
                self.log.append(message.content)
                self._changed.set()
        except ChannelError as exc:
            self.failure = exc
        self.ended = True
        self._changed.set()

    def _on_state(self, state: ChannelState, detail: str) -> None:
        self.states.append((state, detail))
        self._changed.set()

    def _on_error(self, error: ProtocolError) -> None:
        self.errors.append(error)
        self._changed.set()

    def _on_turn(self) -> None:
        self.turns += 1
        self.log.append("<turn>")
        self._changed.set()

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Wait (bounded by the caller's timeout) until ``condition()`` holds."""
        while not condition():
            self._changed.clear()
            await self._changed.wait()

    async def texts_after(self, count: int) -> list[str]:
        await self.wait_for(lambda: len(self.texts) >= count)
        return self.texts[:count]

    def saw(self, state: ChannelState) -> bool:
        return any(seen is state for seen, _ in self.states)

    async def stop(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


# -- WebSocket bots --------------------------------------------------------------------------


class WsBot:
    """A WebSocket bot with three endpoints.

    ``/ws``: JSON frames multiplexed by ``session_id`` (the demo protocol, plus an ``id`` per
    reply); ``/conn``: the same frames without ``session_id`` (the connection is the session);
    ``/plain``: plain-text echo.
    """

    def __init__(self, *, huge_size: int = 100_000) -> None:
        self.huge_size = huge_size
        self.received: list[tuple[str | None, str]] = []
        self.starts: list[str] = []
        self.connections = 0
        self.port = 0
        self._server: Server | None = None

    async def __aenter__(self) -> WsBot:
        self._server = await serve(self._handle, HOST, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def url(self, path: str = "/ws") -> str:
        return f"ws://{HOST}:{self.port}{path}"

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        path = ws.request.path if ws.request else "/ws"
        async for raw in ws:
            if path == "/plain":
                text = raw if isinstance(raw, str) else raw.decode()
                self.received.append((None, text))
                await ws.send(f"echo: {text}")
                continue
            data = json.loads(raw)
            session_id = data.get("session_id")
            if data.get("type") == "start":
                self.starts.append(session_id)
                continue
            self.received.append((session_id, data["text"]))
            if not await self._answer(ws, session_id if path == "/ws" else None, data["text"]):
                return

    def _frame(self, session_id: str | None, text: Any, *, final: bool, **extra: Any) -> str:
        frame: dict[str, Any] = {"type": "message", "text": text, "final": final, **extra}
        if session_id is not None:
            frame["session_id"] = session_id
        frame.setdefault("id", uuid.uuid4().hex)
        return json.dumps(frame)

    async def _answer(self, ws: ServerConnection, sid: str | None, text: str) -> bool:
        """Send the replies ``text`` asks for; False when the connection is gone."""
        typing = {"type": "typing"} | ({"session_id": sid} if sid else {})
        await ws.send(json.dumps(typing))
        echo = self._frame(sid, f"echo: {text}", final=True)
        if text == "burst":
            for part in (1, 2):
                await ws.send(self._frame(sid, f"part {part}", final=False))
            await ws.send(self._frame(sid, "part 3", final=True))
        elif text == "garbage":
            await ws.send("<<this is not json>>")
            await ws.send(echo)
        elif text == "no-session":
            await ws.send(json.dumps({"type": "message", "text": "lost", "final": False}))
            await ws.send(echo)
        elif text == "bad-text":
            await ws.send(self._frame(sid, 42, final=False))
            await ws.send(echo)
        elif text == "huge":
            await ws.send(self._frame(sid, "x" * self.huge_size, final=False))
            await ws.send(echo)
        elif text == "dup":
            await ws.send(echo)
            await ws.send(echo)  # same id: a bot re-sending what it is unsure was delivered
        elif text == "drop":  # answer, then vanish without a close frame
            await ws.send(echo)
            await asyncio.sleep(50 * MS)
            ws.transport.abort()
            return False
        elif text == "close":  # answer, then a clean close (a bot restarting)
            await ws.send(echo)
            await ws.close(1012, "service restart")
            return False
        elif text == "die":  # vanish and stop accepting connections
            assert self._server is not None
            self._server.close(close_connections=False)
            ws.transport.abort()
            return False
        elif text != "silent":
            await ws.send(echo)
        return True


class MutePingBot:
    """Completes the WebSocket handshake, then never answers anything, pings included.

    Built on websockets' sans-I/O server so it can count the client's keep-alive pings while
    withholding the pongs the library would normally send.
    """

    def __init__(self) -> None:
        self.pings = 0
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> MutePingBot:
        self._server = await asyncio.start_server(self._handle, HOST, 0)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1000 * MS)

    def url(self) -> str:
        assert self._server is not None
        return f"ws://{HOST}:{self._server.sockets[0].getsockname()[1]}/ws"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        protocol = ServerProtocol()
        open_ = False
        try:
            while data := await reader.read(65536):
                protocol.receive_data(data)
                for event in protocol.events_received():
                    if isinstance(event, Request):
                        protocol.send_response(protocol.accept(event))
                        for chunk in protocol.data_to_send():
                            writer.write(chunk)
                        open_ = True
                    elif isinstance(event, Frame) and event.opcode is Opcode.PING:
                        self.pings += 1
                if open_:
                    protocol.data_to_send()  # drop the pongs on the floor
        finally:
            writer.close()


# -- HTTP bots -------------------------------------------------------------------------------


class HttpBot:
    """Generic JSON (sync + async callback), Rasa REST and Bot Framework endpoints on one port.

    With ``secret`` set it checks ``X-Convsim-Signature`` on every request (401 when wrong) and
    signs its callbacks. ``hold_response`` is the Bot Framework bot's behaviour: answer the
    activity POST only after the replies were posted back.
    """

    def __init__(
        self,
        *,
        secret: bytes | None = None,
        hold_response: bool = True,
        slow_seconds: float = 30_000 * MS,
        huge_size: int = 100_000,
    ) -> None:
        self.secret = secret
        self.hold_response = hold_response
        self.slow_seconds = slow_seconds
        self.huge_size = huge_size
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.other_activities: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.bad_signatures = 0
        self.callback_answers: list[tuple[int, Any]] = []
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self.port = 0

    async def __aenter__(self) -> HttpBot:
        await self.start()
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self, port: int = 0) -> None:
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_post("/webhook", self._webhook)
        app.router.add_post("/webhook/async", self._webhook_async)
        app.router.add_post("/webhooks/rest/webhook", self._rasa)
        app.router.add_post("/api/messages", self._botframework)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=100 * MS)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, port or self.port, reuse_address=True)
        await site.start()
        self.port = site.port
        self._client = aiohttp.ClientSession()

    async def stop(self) -> None:
        self._stopping.set()
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def texts(self, path: str) -> list[str]:
        """What arrived on ``path``, as message texts, in order."""
        key = {"/webhooks/rest/webhook": "message"}.get(path, "text")
        return [body[key] for got, body in self.received if got == path]

    async def _read(self, request: web.Request) -> dict[str, Any] | None:
        raw = await request.read()
        self.headers.append(dict(request.headers))
        if self.secret is not None and not verify(
            self.secret, raw, request.headers.get(SIGNATURE_HEADER)
        ):
            self.bad_signatures += 1
            return None
        body: dict[str, Any] = json.loads(raw)
        self.received.append((request.path, body))
        return body

    @staticmethod
    def _texts_for(text: str) -> list[str]:
        if text == "burst":
            return ["part 1", "part 2", "part 3"]
        if text == "empty":
            return []
        return [f"echo: {text}"]

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await self._read(request)
        if body is None:
            return web.json_response({"error": "bad signature"}, status=401)
        text = body["text"]
        if text == "slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.slow_seconds)
        if text == "500":
            return web.Response(status=500, text="internal error: the bot fell over")
        if text == "garbage":
            return web.Response(text="<html>definitely not json</html>")
        if text == "huge":
            return web.json_response({"replies": [{"text": "x" * self.huge_size}]})
        if text == "huge-chunked":  # no Content-Length: the size only shows while reading
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            await response.write(b'{"replies": [{"text": "')
            for _ in range(self.huge_size // 1000):
                await response.write(b"x" * 1000)
            await response.write(b'"}]}')
            await response.write_eof()
            return response  # type: ignore[return-value]
        replies = [{"text": t} for t in self._texts_for(text)]
        return web.json_response({"session_id": body["session_id"], "replies": replies})

    async def _rasa(self, request: web.Request) -> web.Response:
        body = await self._read(request)
        if body is None:
            return web.json_response({"error": "bad signature"}, status=401)
        items: list[dict[str, Any]] = [
            {"recipient_id": body["sender"], "text": t} for t in self._texts_for(body["message"])
        ]
        if body["message"] == "burst":
            items.insert(1, {"recipient_id": body["sender"], "image": "https://example.invalid/x"})
        return web.json_response(items)

    async def _post_back(self, url: str, payload: dict[str, Any]) -> None:
        assert self._client is not None
        data = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self.secret, data)
        async with self._client.post(url, data=data, headers=headers) as response:
            answer = await response.json(content_type=None)
            self.callback_answers.append((response.status, answer))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _webhook_async(self, request: web.Request) -> web.Response:
        body = await self._read(request)
        if body is None:
            return web.json_response({"error": "bad signature"}, status=401)

        async def answer() -> None:
            texts = self._texts_for(body["text"])
            for index, text in enumerate(texts):
                final = index == len(texts) - 1
                payload = {"session_id": body["session_id"], "text": text, "final": final}
                await self._post_back(body["callback_url"], payload)

        self._spawn(answer())
        return web.json_response({"status": "accepted"}, status=202)

    async def _botframework(self, request: web.Request) -> web.Response:
        activity = await self._read(request)
        if activity is None:
            return web.json_response({"error": "bad signature"}, status=401)
        if activity.get("type") != "message":
            # conversationUpdate and other activities: acknowledged, as a bot without a
            # handler for them does; kept apart so `received` stays the customer's messages.
            self.received.pop()
            self.other_activities.append(activity)
            return web.Response(status=200)
        conversation = activity["conversation"]["id"]
        url = (
            f"{activity['serviceUrl']}/v3/conversations/{conversation}/activities/{activity['id']}"
        )

        async def answer() -> None:
            base = {
                "replyToId": activity["id"],
                "conversation": {"id": conversation},
                "from": {"id": "bot", "role": "bot"},
                "recipient": activity["from"],
            }
            await self._post_back(url, {"type": "typing", **base})
            for text in self._texts_for(activity["text"]):
                await self._post_back(url, {"type": "message", "text": text, **base})

        if self.hold_response:
            await answer()
            return web.Response(status=200)
        self._spawn(answer())
        return web.Response(status=202)
