"""The Direct Line stream WebSocket of one conversation: open it, hand over its frames, say why
it ended.

The stream URL carries the conversation token (``?t=...``), so nothing here logs it: websockets'
own DEBUG lines (which include the request line) are switched off for this connection, and
library messages are passed through :func:`redact` before they reach a log or the user.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import attrs
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from channels.errors import describe
from channels.profile import BotProfile


class _NoDebug(logging.LoggerAdapter):  # type: ignore[type-arg]
    """websockets logs the request line (with the stream URL's token) at DEBUG: never that."""

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and super().isEnabledFor(level)

    def debug(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_WIRE_LOGGER = _NoDebug(logging.getLogger(__name__), {})


def redact(text: str, *credentials: str | None) -> str:
    """Some library messages quote the URL: never let a token (or the secret) through."""
    for credential in credentials:
        if credential:
            text = text.replace(credential, "***")
    return text


@attrs.frozen
class StreamHooks:
    """What a stream hands back to its session (as :class:`~channels.ws_link.LinkEvents` does
    for a WebSocket link)."""

    on_frame: Callable[[str | bytes], None]
    """Each frame the stream delivers."""
    on_open: Callable[[], None]
    """A connection opened (the session resets its reconnect budget)."""
    redact: Callable[[str], str]
    """Strips the token and secret from library messages before they are shown."""


class ActivityStream:
    """Reads one stream connection at a time; :meth:`close` ends the current one."""

    def __init__(self, profile: BotProfile, hooks: StreamHooks) -> None:
        self._profile = profile
        self._hooks = hooks
        self._connection: ClientConnection | None = None

    async def read(self, url: str) -> str | None:
        """Read until the stream ends: None after a connection that delivered frames, else why
        it failed (it could not be opened, or it dropped before anything arrived)."""
        profile = self._profile
        try:
            connection = await connect(
                url,
                open_timeout=profile.connect_timeout,
                ping_interval=profile.ping_interval,
                ping_timeout=profile.ping_timeout,
                max_size=max(64 * 1024 * 1024, profile.max_body_bytes * 4),
                logger=_WIRE_LOGGER,
            )
        except (OSError, TimeoutError, WebSocketException) as exc:
            return f"cannot open the stream: {self._hooks.redact(describe(exc))}"
        self._connection = connection
        self._hooks.on_open()
        delivered = False
        try:
            async for raw in connection:
                delivered = True
                self._hooks.on_frame(raw)
        except ConnectionClosed:
            pass
        finally:
            self._connection = None
        return None if delivered else "the stream dropped before anything arrived"

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
