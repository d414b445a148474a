"""Socket.IO channel: one python-socketio ``AsyncClient`` (one Socket.IO session) per conversation.

Rasa's socket channel, Chainlit and many web-chat widgets speak Socket.IO: Engine.IO packets
around named events. The profile names the events (``[bot.socketio]``) and where the text is in
their data (``[bot.reply]``); :mod:`channels.socketio_codec` reads them.

Delivery guarantees are the WebSocket channel's (:mod:`channels.ws_link`): a customer message
emitted while the connection is down, or whose emit failed, is kept and emitted exactly once
after the next successful reconnect, in order; one the client accepted is never emitted again,
so a reconnect cannot duplicate it. The library's own reconnection is off: ours re-runs the
session set-up (Rasa's ``session_request`` with the same session id, Chainlit's ``sessionId`` in
the auth payload) before flushing, so the bot carries on with the same conversation. The
reconnect budget is reset only by an event from the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections import deque
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import socketio  # type: ignore[import-untyped]
from socketio import exceptions as sio_errors

from channels.codec import Inbound, excerpt
from channels.errors import describe, unreachable
from channels.profile import BotProfile, ProfileError
from channels.sessions import ChannelSession, WireChannel
from channels.socketio_codec import SocketIOCodec
from channels.tasks import cancel_and_wait
from channels.templates import TemplateError
from convsim_core.channel import ChannelError, ChannelState, ProtocolError
from convsim_core.models import Message

logger = logging.getLogger(__name__)

_EMIT_ERRORS = (sio_errors.SocketIOError, OSError, ConnectionError)


class _Client(socketio.AsyncClient):  # type: ignore[misc]
    """python-socketio's client, but a packet it cannot decode is reported, not just logged.

    The library decodes each Engine.IO message in a background task, so a malformed Socket.IO
    packet would only surface as "Task exception was never retrieved" in the log.
    """

    def __init__(self, on_bad_packet: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_bad_packet = on_bad_packet

    async def _handle_eio_message(self, data: Any) -> None:
        try:
            await super()._handle_eio_message(data)
        except Exception as exc:
            self._on_bad_packet(data, exc)


def split_url(url: str, path: str, namespace: str) -> tuple[str, str, str]:
    """``(server URL, socketio_path, namespace)`` the way the JavaScript client reads a URL.

    ``io("http://host/chat")`` means namespace ``/chat``; a path ending in ``socket.io`` is taken
    as the endpoint instead, since that is what people paste from their server's logs.
    """
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    url_path = parts.path.rstrip("/")
    if url_path.endswith("socket.io"):
        path = url_path
    elif url_path and namespace == "/":
        namespace = url_path
    return urlunsplit((scheme, parts.netloc, "", parts.query, "")), path, namespace


class SocketIOSession(ChannelSession["SocketIOChannel"]):
    """One conversation on its own Socket.IO connection."""

    def __init__(self, channel: SocketIOChannel, session_id: str) -> None:
        super().__init__(channel, session_id)
        self._spec = channel.profile.socketio
        self._codec = channel.codec
        self._client: Any = None
        self._pending: deque[Any] = deque()
        self._lock = asyncio.Lock()
        self._confirmed = asyncio.Event()
        self._refusal = ""
        self._reconnector: asyncio.Task[None] | None = None
        self._stopping = False
        self._strikes = 0
        self._namespace = self._spec.namespace

    # -- connecting ---------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect for the first time; ``ChannelError("cannot reach ...")`` if the bot is away."""
        try:
            self._client = await self._connect()
        except ChannelError:
            raise
        except (*_EMIT_ERRORS, TimeoutError) as exc:
            raise unreachable(self._profile.url, self._cause(exc)) from exc

    def _cause(self, exc: BaseException) -> str:
        if self._refusal:
            return f"the bot refused the connection: {self._refusal}"
        return describe(exc)

    async def _connect(self) -> Any:
        """A connected client whose session set-up is done (confirmed, if the profile says so)."""
        profile, spec = self._profile, self._spec
        try:
            url, headers = profile.resolved_url(), profile.resolved_headers()
            auth = spec.auth_payload(self.session_id, os.environ)
            query = spec.query_string(self.session_id, os.environ)
        except (ProfileError, TemplateError) as exc:  # the environment changed since loading
            raise ChannelError(str(exc)) from exc
        server, path, namespace = split_url(url, spec.path, spec.namespace)
        self._namespace = namespace
        if query:
            parts = urlsplit(server)
            merged = urlencode([*parse_qsl(parts.query), *query])
            server = urlunsplit((*parts[:3], merged, ""))
        client = _Client(
            self._bad_packet,
            reconnection=False,
            handle_sigint=False,
            request_timeout=profile.connect_timeout,
        )
        self._install(client, namespace)
        self._confirmed.clear()
        self._refusal = ""
        try:
            await client.connect(
                server,
                headers=headers,
                auth=auth,
                transports=list(spec.transports),
                namespaces=[namespace],
                socketio_path=path,
                wait_timeout=profile.connect_timeout,
            )
            await self._set_up(client, namespace)
        except BaseException:
            await _quietly_disconnect(client)
            raise
        return client

    async def _set_up(self, client: Any, namespace: str) -> None:
        spec = self._spec
        if spec.session_request is None:
            return
        data = self._codec.session_data(self.session_id)
        await client.emit(spec.session_request, data, namespace=namespace)
        if spec.session_confirm is None:
            return
        try:
            async with asyncio.timeout(self._profile.connect_timeout):
                await self._confirmed.wait()
        except TimeoutError:
            raise ChannelError(
                f"{self._profile.url} did not answer {spec.session_request!r} with"
                f" {spec.session_confirm!r} within {self._profile.connect_timeout:g} s"
            ) from None

    def _install(self, client: Any, namespace: str) -> None:
        """Handlers for one client (a replaced client is dead, so only its drop is ignored)."""
        spec = self._spec
        for event in spec.bot_events:

            async def on_bot(*args: Any, _event: str = event) -> None:
                self._on_bot_event(_event, args)

            client.on(event, on_bot, namespace=namespace)
        if spec.turn_end is not None:

            async def on_turn_end(*_args: Any) -> None:
                self._strikes = 0
                self.deliver(Inbound(texts=(), turn_complete=True))

            client.on(spec.turn_end, on_turn_end, namespace=namespace)
        if spec.session_confirm is not None:

            async def on_confirm(*_args: Any) -> None:
                self._confirmed.set()

            client.on(spec.session_confirm, on_confirm, namespace=namespace)

        async def on_connect_error(data: Any = None) -> None:
            # The server's CONNECT_ERROR packet ({"message": ...}); a transport failure comes
            # as a plain string and is reported from the exception instead.
            if isinstance(data, dict):
                self._refusal = str(data.get("message") or data)

        async def on_disconnect(reason: Any = None) -> None:
            if client is self._client and not self._stopping:
                self._dropped(f"connection dropped ({reason or 'no reason given'})")

        client.on("connect_error", on_connect_error, namespace=namespace)
        client.on("disconnect", on_disconnect, namespace=namespace)

    # -- inbound ----------------------------------------------------------------------------------

    def _on_bot_event(self, event: str, args: tuple[Any, ...]) -> None:
        self._strikes = 0
        self.deliver_from(lambda: self._codec.read(event, args))

    def _bad_packet(self, data: Any, exc: Exception) -> None:
        shown = data if isinstance(data, str | bytes) else repr(data)
        error = ProtocolError(f"unreadable Socket.IO packet: {describe(exc)}", excerpt(shown))
        self.report_protocol_error(error)

    # -- outbound ---------------------------------------------------------------------------------

    async def send(self, message: Message) -> None:
        """Emit the message now, or after the reconnect if the connection is down."""
        self._check_open()
        data = self._codec.encode(message.content, self.session_id, message.timestamp)
        self._record(message)
        async with self._lock:
            self._pending.append(data)
            await self._flush_locked()

    async def _flush_locked(self) -> None:
        client, namespace = self._client, self._namespace
        while self._pending and client is not None and _usable(client):
            try:
                await client.emit(self._spec.user_event, self._pending[0], namespace=namespace)
            except _EMIT_ERRORS as exc:
                logger.info("session %s: emit failed (%s); kept", self.session_id, describe(exc))
                return  # the disconnect handler reconnects and flushes again
            self._pending.popleft()

    # -- reconnecting -----------------------------------------------------------------------------

    def _dropped(self, cause: str) -> None:
        if self._reconnector is None or self._reconnector.done():
            self._reconnector = asyncio.create_task(
                self._reconnect(cause), name=f"socketio-reconnect {self.session_id}"
            )

    async def _reconnect(self, cause: str) -> None:
        policy = self._profile.reconnect
        url = self._profile.url
        logger.warning("%s: %s; reconnecting", url, cause)
        self.report_state(ChannelState.RECONNECTING, cause)
        last = cause
        while self._strikes < policy.attempts and not self._stopping:
            self._strikes += 1
            await asyncio.sleep(policy.delay(self._strikes))
            try:
                client = await self._connect()
            except (ChannelError, *_EMIT_ERRORS, TimeoutError) as exc:
                last = self._cause(exc) if not isinstance(exc, ChannelError) else str(exc)
                self.report_state(
                    ChannelState.RECONNECTING,
                    f"attempt {self._strikes}/{policy.attempts} failed: {last}",
                )
                continue
            if self._stopping:
                await _quietly_disconnect(client)
                return
            old = self._client
            async with self._lock:
                self._client = client
                await self._flush_locked()
            if old is not None:
                await _quietly_disconnect(old)  # dead already; this frees its HTTP session
            logger.info("%s: reconnected", url)
            self.report_state(ChannelState.CONNECTED, "reconnected")
            if not _usable(client):  # dropped again while flushing
                self._dropped("connection dropped again")
            return
        if self._stopping:
            return
        error = ChannelError(
            f"lost the connection to {url} ({last});"
            f" gave up after {policy.attempts} reconnect attempt(s)"
        )
        logger.error("%s", error)
        self.report_state(ChannelState.FAILED, str(error))
        self.fail(error)

    # -- closing ----------------------------------------------------------------------------------

    async def close(self) -> None:
        self._stopping = True  # before anything awaits: a drop now is ours, not the bot's
        await super().close()

    async def _release(self) -> None:
        await cancel_and_wait([self._reconnector])
        if self._client is not None:
            await _quietly_disconnect(self._client)


def _usable(client: Any) -> bool:
    return bool(client.connected) and client.eio.state == "connected"


async def _quietly_disconnect(client: Any) -> None:
    """Disconnect and release the client's HTTP session, whatever state it is in."""
    with contextlib.suppress(Exception):
        await client.disconnect()
    with contextlib.suppress(Exception):
        await client.eio.disconnect(abort=True)


class SocketIOChannel(WireChannel[SocketIOSession]):
    """Reaches a Socket.IO bot as its :class:`BotProfile` describes."""

    kind = "socketio"

    def __init__(self, profile: BotProfile) -> None:
        super().__init__(profile)
        self.codec = SocketIOCodec(profile)

    async def create_session(self) -> SocketIOSession:
        """Connect a Socket.IO session; ``ChannelError("cannot reach ...")`` if the bot is away."""
        self.sessions.check_open()
        session = SocketIOSession(self, uuid.uuid4().hex)
        await session.open()
        self.sessions.add(session)
        return session
