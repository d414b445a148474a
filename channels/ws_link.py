"""One WebSocket connection that survives drops: reconnects with backoff, re-sends unsent frames.

Delivery guarantees: a frame whose ``send`` failed, or that was sent while the link was down, is
kept and written exactly once after the next successful reconnect, in order. A frame the socket
accepted is never written again, so a reconnect cannot duplicate a customer message. Inbound
frames go to ``on_frame`` once each as they arrive; nothing is replayed from our side.

The reconnect budget is reset only by a frame from the bot, so a bot that accepts connections and
drops them at once still runs out of attempts instead of looping forever. Those rules (budget,
jittered backoff, outbox) live in :class:`~channels.link_state.LinkState`, without sockets; this
module is the asyncio shell that moves the bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import attrs
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from channels.engineio_sniff import SocketIOEndpoint, is_engineio_open
from channels.errors import describe, unreachable
from channels.link_state import LinkState, Retry
from channels.profile import BotProfile
from convsim_core.channel import ChannelError, ChannelState

logger = logging.getLogger(__name__)

CONNECT_ERRORS = (OSError, TimeoutError, WebSocketException)
CLOSE_TIMEOUT = 2.0
"""Seconds to wait for the bot's side of a close handshake before dropping the socket."""


def _close_cause(conn: ClientConnection) -> str:
    received, sent = conn.protocol.close_rcvd, conn.protocol.close_sent
    if received is not None:
        reason = f" ({received.reason})" if received.reason else ""
        return f"closed by the bot with code {received.code}{reason}"
    if sent is not None and sent.reason:  # we gave up on it, e.g. "keepalive ping timeout"
        return f"connection failed: {sent.reason}"
    return "connection dropped without a close frame"


def _no_greeting() -> list[str]:
    return []


@attrs.frozen
class LinkEvents:
    """What a link tells its owner (one session, or the channel for a shared link)."""

    on_frame: Callable[[str | bytes], None]
    """Each inbound frame, once, as it arrives."""
    on_state: Callable[[ChannelState, str], None]
    on_failed: Callable[[ChannelError], None]
    """The link gave up: no more reconnects."""
    greeting: Callable[[], list[str]] = _no_greeting
    """Frames to send first after each reconnect (the sessions' setup frames)."""


class WsLink:
    """A reconnecting client connection; owned by one session or shared by a channel."""

    def __init__(
        self, profile: BotProfile, *, url: str, headers: dict[str, str], events: LinkEvents
    ) -> None:
        self._profile = profile
        self._url = url
        self._headers = headers
        self._events = events
        self._conn: ClientConnection | None = None
        self._state = LinkState(profile.reconnect)
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._closing = False
        self._failed: ChannelError | None = None

    @property
    def failed(self) -> bool:
        return self._failed is not None

    async def open(self) -> None:
        """Connect for the first time; ``ChannelError("cannot reach ...")`` if the bot is away."""
        try:
            self._conn = await self._connect()
        except CONNECT_ERRORS as exc:
            raise unreachable(self._profile.url, exc) from exc
        self._state.connection_up()
        self._reader = asyncio.create_task(self._read_loop(), name=f"ws-reader {self._profile.url}")

    @property
    def pending_frames(self) -> int:
        """Frames kept for the next connection (not yet written to any)."""
        return self._state.unsent

    async def send(self, frame: str) -> None:
        """Write a frame now, or keep it for the next connection if the link is down."""
        if self._failed is not None:
            raise ChannelError(str(self._failed))
        if self._closing:
            raise ChannelError(f"the connection to {self._profile.url} is closed")
        async with self._lock:
            self._state.queue(frame)
            await self._flush_locked()

    async def close(self) -> None:
        """Stop reading and reconnecting, then close the socket; safe to call twice."""
        if self._closing:
            return
        self._closing = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._conn is not None:
            await self._conn.close()

    async def _connect(self) -> ClientConnection:
        profile = self._profile
        return await connect(
            self._url,
            additional_headers=self._headers,
            open_timeout=profile.connect_timeout,
            ping_interval=profile.ping_interval,
            ping_timeout=profile.ping_timeout,
            close_timeout=min(CLOSE_TIMEOUT, profile.connect_timeout),
            # Far above the codec's limit: a reply between max_body_bytes and this becomes a
            # protocol error with an excerpt; only beyond it does websockets close the connection.
            max_size=max(64 * 1024 * 1024, profile.max_body_bytes * 4),
        )

    async def _flush_locked(self) -> None:
        conn, state = self._conn, self._state
        while conn is not None and (frame := state.next_frame()) is not None:
            try:
                await conn.send(frame)
            except ConnectionClosed:
                return  # the reader notices the drop, reconnects and flushes again
            state.frame_written()

    async def _read_loop(self) -> None:
        while True:
            conn = self._conn
            assert conn is not None
            try:
                async for raw in conn:
                    self._state.frame_received()
                    if is_engineio_open(raw):
                        await self._wrong_protocol(conn)
                        return
                    try:
                        self._events.on_frame(raw)
                    except Exception:  # one bad frame handler must not kill the connection
                        logger.exception("error handling a frame from %s", self._profile.url)
            except ConnectionClosed:
                pass
            if self._closing or not await self._reconnect(_close_cause(conn)):
                return

    async def _wrong_protocol(self, conn: ClientConnection) -> None:
        """A Socket.IO server: fail now with the hint (a reconnect would meet it again)."""
        self._failed = SocketIOEndpoint(self._profile.url)
        logger.error("%s", self._failed)
        self._closing = True
        await conn.close()
        self._events.on_state(ChannelState.FAILED, str(self._failed))
        self._events.on_failed(self._failed)

    async def _reconnect(self, cause: str) -> bool:
        logger.warning("%s: %s; reconnecting", self._profile.url, cause)
        self._events.on_state(ChannelState.RECONNECTING, cause)
        last = cause
        action = self._state.connection_lost()
        while isinstance(action, Retry):
            await asyncio.sleep(action.delay)
            try:
                conn = await self._connect()
            except CONNECT_ERRORS as exc:
                last = describe(exc)
                self._events.on_state(
                    ChannelState.RECONNECTING,
                    f"attempt {action.attempt}/{action.attempts} failed: {last}",
                )
                action = self._state.attempt_failed()
                continue
            async with self._lock:
                self._conn = conn
                self._state.connection_up()
                try:
                    for frame in self._events.greeting():
                        await conn.send(frame)
                except ConnectionClosed:
                    pass  # dropped again at once: the reader goes round once more
                else:
                    await self._flush_locked()
            logger.info("%s: reconnected", self._profile.url)
            self._events.on_state(ChannelState.CONNECTED, "reconnected")
            return True
        self._failed = ChannelError(
            f"lost the connection to {self._profile.url} ({last});"
            f" gave up after {action.attempts} reconnect attempt(s)"
        )
        logger.error("%s", self._failed)
        self._events.on_state(ChannelState.FAILED, str(self._failed))
        self._events.on_failed(self._failed)
        return False
