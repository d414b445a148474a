"""The exchanges behind ``convsim probe``: one greeting over a WebSocket or an HTTP POST, and
exactly what came back (status, headers, every frame with its time), nothing interpreted yet.

Interpreting the exchanges is :mod:`channels.probe`'s job; keeping the I/O here lets that part
be tested on recorded exchanges.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import attrs
from aiohttp import web
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from channels.app_server import AppServer
from channels.errors import describe

QUIET_SECONDS = 1.5
"""After the last frame, how long the probe waits for more before it calls the answer complete."""
_SHOWN_HEADERS = ("content-type", "content-length", "server", "x-powered-by", "upgrade")


@attrs.frozen
class Frame:
    at: float
    """Seconds after the greeting was sent (negative: before it, e.g. a welcome on connect)."""
    data: str
    source: str = ""
    """Where it came from: empty for the connection/response, else the callback path."""


@attrs.frozen
class Exchange:
    """One try: what was sent, and what came back."""

    transport: str
    """``websocket`` or ``http``."""
    url: str
    sent: str
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    frames: tuple[Frame, ...] = ()
    connect_seconds: float | None = None
    error: str | None = None
    closed: str | None = None
    """How the connection ended, if the bot closed it."""


def _headers(items: Any) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in items if k.lower() in _SHOWN_HEADERS)


async def ws_exchange(url: str, greeting: str, *, wait: float) -> Exchange:
    """Connect, send ``greeting`` as one text frame, collect frames until quiet or ``wait``."""
    started = time.monotonic()
    try:
        conn = await connect(url, open_timeout=wait, max_size=None)
    except InvalidStatus as exc:
        response = exc.response
        body = response.body.decode("utf-8", "replace") if response.body else ""
        return Exchange(
            "websocket",
            url,
            greeting,
            status=response.status_code,
            headers=_headers(response.headers.raw_items()),
            frames=(Frame(0.0, body),) if body else (),
            error=f"the server refused the WebSocket upgrade with HTTP {response.status_code}",
        )
    except (OSError, TimeoutError, WebSocketException) as exc:
        return Exchange("websocket", url, greeting, error=f"cannot connect: {describe(exc)}")
    connected = time.monotonic()
    frames: list[Frame] = []
    closed: str | None = None
    handshake = conn.response
    try:
        # A bot that speaks first (a welcome, an Engine.IO open packet) is seen before we send.
        closed = await _collect(conn, frames, connected, until=connected + 0.3, quiet=0.3)
        if closed is None:
            sent_at = time.monotonic()
            frames[:] = [attrs.evolve(f, at=f.at - (sent_at - connected)) for f in frames]
            await conn.send(greeting)
            closed = await _collect(conn, frames, sent_at, until=sent_at + wait)
    finally:
        await conn.close()
    return Exchange(
        "websocket",
        url,
        greeting,
        status=handshake.status_code if handshake is not None else None,
        headers=_headers(handshake.headers.raw_items()) if handshake is not None else (),
        frames=tuple(frames),
        connect_seconds=connected - started,
        closed=closed,
    )


async def _collect(
    conn: Any, frames: list[Frame], since: float, *, until: float, quiet: float = QUIET_SECONDS
) -> str | None:
    """Read frames until ``until`` or ``quiet`` seconds after the last new one; how the bot
    closed, if it did."""
    first = len(frames)
    while True:
        now = time.monotonic()
        last = frames[-1].at + since if len(frames) > first else None
        deadline = until if last is None else min(until, last + quiet)
        if now >= deadline:
            return None
        try:
            async with asyncio.timeout(deadline - now):
                raw = await conn.recv()
        except TimeoutError:
            return None
        except ConnectionClosed as exc:
            received = exc.rcvd
            return f"closed by the bot with code {received.code}" if received else "dropped"
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        frames.append(Frame(time.monotonic() - since, text))


class CallbackCatcher(AppServer):
    """A tiny HTTP server that records every POST (Bot Framework connector, Rasa callbacks)."""

    label = "callback catcher"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, path: str = "/callback") -> None:
        super().__init__(host, port, access_log=None, shutdown_timeout=0.2)
        self.path = path
        self.frames: list[Frame] = []
        self.since = time.monotonic()
        self._arrived = asyncio.Event()

    @property
    def base_url(self) -> str:
        return self.url

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._post)
        return app

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.frames.append(Frame(time.monotonic() - self.since, body, source=request.path))
        self._arrived.set()
        if request.path.startswith("/v3/conversations/"):
            return web.json_response({"id": f"probe-{len(self.frames)}"})
        return web.json_response({"status": "ok"})

    async def wait(self, *, wait: float, quiet: float = QUIET_SECONDS) -> None:
        """Until ``quiet`` seconds pass without a POST (or ``wait`` without any)."""
        end = time.monotonic() + wait
        while True:
            count = len(self.frames)
            left = min(quiet if count else wait, end - time.monotonic())
            if left <= 0:
                return
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await self._arrived.wait()
            if len(self.frames) == count:
                return


async def http_exchange(
    http: aiohttp.ClientSession,
    url: str,
    body: Mapping[str, Any],
    *,
    wait: float,
    catcher: CallbackCatcher | None = None,
) -> Exchange:
    """POST ``body`` as JSON; callbacks to ``catcher`` during the wait count as frames too."""
    sent = json.dumps(body, ensure_ascii=False)
    started = time.monotonic()
    if catcher is not None:
        catcher.since = started
        catcher.frames.clear()
    try:
        async with (
            asyncio.timeout(wait),
            http.post(url, data=sent, headers={"Content-Type": "application/json"}) as resp,
        ):
            payload = await resp.content.read(1024 * 1024)
            status, headers = resp.status, _headers(resp.headers.items())
    except TimeoutError:
        return Exchange("http", url, sent, error=f"no HTTP response within {wait:g} s")
    except aiohttp.ClientError as exc:
        return Exchange("http", url, sent, error=f"cannot reach it: {describe(exc)}")
    answered = time.monotonic() - started
    frames = [Frame(answered, payload.decode("utf-8", "replace"))] if payload.strip() else []
    if catcher is not None and 200 <= status < 300:
        await catcher.wait(wait=wait)
        frames += catcher.frames
    return Exchange("http", url, sent, status=status, headers=headers, frames=tuple(frames))
