"""Is the bot there? Checked before a run: an unreachable bot is one clear error, not a timeout."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import aiohttp
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus, WebSocketException

from channels.engineio_sniff import (
    SocketIOEndpoint,
    is_engineio_open,
    is_engineio_refusal,
    looks_like_engineio,
)
from channels.errors import unreachable
from channels.profile import BotProfile, ProfileError
from convsim_core.channel import ChannelError

_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}
_OPEN_PACKET_WAIT = 2.0
"""Seconds the check waits for an Engine.IO open packet (sent at once) on a socket.io-like URL:
a plain WebSocket bot there that speaks second is delayed this long, not connect_timeout."""


async def check_reachable(profile: BotProfile) -> None:
    """GET the health URL if the profile has one (2xx expected), else open a TCP connection.

    Raises ``ChannelError("cannot reach <URL>: <cause>")``.
    """
    health = profile.resolved_health_url()
    if health is not None:
        await _get_health(profile, health)
        return
    try:
        parts = urlsplit(profile.resolved_url())
    except ProfileError as exc:
        raise ChannelError(str(exc)) from exc
    if profile.kind == "websocket":
        await _handshake(profile)
        return
    if profile.kind == "socketio" and "polling" in profile.socketio.transports:
        await _engineio_handshake(profile)
        return
    if profile.kind == "directline" and profile.directline.secret_env is not None:
        await _directline_token(profile)
        return
    # A Direct Line *token* cannot call /tokens/generate (that needs the secret), and POST
    # /conversations would start its one conversation: it is checked when the chat starts.
    host = parts.hostname or ""
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)
    try:
        async with asyncio.timeout(profile.connect_timeout):
            _reader, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError) as exc:
        raise unreachable(profile.url, exc) from exc
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def _handshake(profile: BotProfile) -> None:
    """Open and close one WebSocket: a wrong path or refused upgrade is caught before the run."""
    url = profile.resolved_url()
    try:
        headers = profile.resolved_headers()
    except ProfileError as exc:
        raise ChannelError(str(exc)) from exc
    try:
        async with connect(
            url, additional_headers=headers, open_timeout=profile.connect_timeout
        ) as websocket:
            if looks_like_engineio(url):  # its open packet comes at once: wait for it
                with contextlib.suppress(TimeoutError, WebSocketException):
                    wait = min(profile.connect_timeout, _OPEN_PACKET_WAIT)
                    first = await asyncio.wait_for(websocket.recv(), wait)
                    if is_engineio_open(first):
                        raise SocketIOEndpoint(profile.url)
            await websocket.close()
    except InvalidStatus as exc:
        if is_engineio_refusal(exc.response.body):
            raise SocketIOEndpoint(profile.url) from exc
        status = exc.response.status_code
        raise unreachable(
            profile.url, f"the WebSocket upgrade was refused with HTTP {status}"
        ) from exc
    except (OSError, TimeoutError, WebSocketException) as exc:
        raise unreachable(profile.url, exc) from exc


async def _engineio_handshake(profile: BotProfile) -> None:
    """Open (and drop) an Engine.IO session: a wrong Socket.IO path is caught before the run."""
    from channels.socketio import split_url

    try:
        url, headers = profile.resolved_url(), profile.resolved_headers()
    except ProfileError as exc:
        raise ChannelError(str(exc)) from exc
    server, path, _namespace = split_url(url, profile.socketio.path, profile.socketio.namespace)
    probe = f"{server.split('?')[0]}{path.rstrip('/')}/?EIO=4&transport=polling"
    timeout = aiohttp.ClientTimeout(total=profile.connect_timeout)
    try:
        async with (
            aiohttp.ClientSession(headers=headers, timeout=timeout) as http,
            http.get(probe) as response,
        ):
            status, body = response.status, await response.text(errors="replace")
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise unreachable(profile.url, exc) from exc
    if status == 200 and body.lstrip().startswith("0{"):
        return
    if status == 400 and "protocol version" in body.lower():
        cause = "the server speaks an older Engine.IO (Socket.IO 2); convsim needs Socket.IO 3+"
    elif status == 404:
        hint = (
            "" if path.rstrip("/") == "/ws/socket.io" else "; Chainlit serves it at /ws/socket.io"
        )
        cause = f"no Socket.IO server at {path} (HTTP 404{hint})"
    else:
        cause = f"the Socket.IO handshake at {path} answered HTTP {status}"
    raise unreachable(profile.url, cause)


async def _directline_token(profile: BotProfile) -> None:
    """``POST /tokens/generate`` with the secret: checks the URL and the secret, starts nothing."""
    import os

    name = profile.directline.secret_env or ""
    secret = os.environ.get(name, "")
    if not secret:
        raise ChannelError(f"{profile.source}: environment variable {name} is not set")
    try:
        url, headers = profile.resolved_url(), profile.resolved_headers()
    except ProfileError as exc:
        raise ChannelError(str(exc)) from exc
    headers["Authorization"] = f"Bearer {secret}"
    timeout = aiohttp.ClientTimeout(total=profile.connect_timeout)
    try:
        async with (
            aiohttp.ClientSession(headers=headers, timeout=timeout) as http,
            http.post(url.rstrip("/") + "/tokens/generate") as response,
        ):
            status = response.status
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise unreachable(profile.url, exc) from exc
    if status in (401, 403):
        raise unreachable(profile.url, f"Direct Line refused the secret in ${name} (HTTP {status})")
    if not 200 <= status < 300:
        raise unreachable(
            profile.url, f"no Direct Line 3.0 endpoint there (POST /tokens/generate: HTTP {status})"
        )


async def _get_health(profile: BotProfile, url: str) -> None:
    try:
        headers = profile.resolved_headers()
    except ProfileError as exc:
        raise ChannelError(str(exc)) from exc
    timeout = aiohttp.ClientTimeout(total=profile.connect_timeout)
    try:
        async with (
            aiohttp.ClientSession(headers=headers, timeout=timeout) as http,
            http.get(url) as response,
        ):
            status = response.status
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise unreachable(url, exc) from exc
    if not 200 <= status < 300:
        raise unreachable(url, f"health check answered HTTP {status}")
