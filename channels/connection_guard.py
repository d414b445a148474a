"""Bounds on what one client can hold of the callback server: time, connections, log lines.

aiohttp waits for ever on a request whose headers or body never finish, so 3,000 clients that
each send ``Content-Length: 100000`` and one byte hold 3,000 descriptors until the process hits
its open-file limit. The guard sits between the listening socket and aiohttp's protocol: a
connection beyond ``max_connections`` is closed at once, a connection must present complete
headers within ``header_timeout`` of connecting (or of its previous response), and the
server's handlers read bodies within ``body_timeout``. What it refuses or cuts is counted and
logged once per window, never once per connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

logger = logging.getLogger(__name__)

LOG_WINDOW = 10.0
"""Seconds between two log lines about refused or timed-out connections."""


def default_max_connections(wanted: int = 256) -> int:
    """``wanted``, but never more than a quarter of the open-file limit."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, ValueError, OSError):  # pragma: no cover - not POSIX
        return wanted
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(8, min(wanted, soft // 4))


class ConnectionGuard:
    """Admits, times and counts connections; one per server."""

    def __init__(
        self, *, max_connections: int, header_timeout: float, name: str = "callback server"
    ) -> None:
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self.name = name
        self.open: dict[asyncio.BaseTransport, asyncio.TimerHandle | None] = {}
        self.refused = 0
        self.timed_out = 0
        self._unlogged = {"refused": 0, "timed out": 0}
        self._logged_at = -LOG_WINDOW

    def protocol(self, inner: asyncio.Protocol) -> asyncio.Protocol:
        return _GuardedProtocol(inner, self)

    # -- called by the protocol wrapper ------------------------------------------------------

    def admit(self, transport: asyncio.BaseTransport) -> bool:
        if len(self.open) >= self.max_connections:
            self.refused += 1
            self._note("refused")
            return False
        self.open[transport] = None
        self.arm(transport)
        return True

    def release(self, transport: asyncio.BaseTransport) -> None:
        timer = self.open.pop(transport, None)
        if timer is not None:
            timer.cancel()

    # -- called around each request (headers complete .. response sent) -----------------------

    def request_started(self, transport: asyncio.BaseTransport | None) -> None:
        if transport is not None:
            self._stop_clock(transport)

    def arm(self, transport: asyncio.BaseTransport | None) -> None:
        """Start the clock for the next request's headers (also bounds idle keep-alive)."""
        if transport is None or not self._stop_clock(transport):
            return
        loop = asyncio.get_running_loop()
        self.open[transport] = loop.call_later(self.header_timeout, self._expire, transport)

    def _stop_clock(self, transport: asyncio.BaseTransport) -> bool:
        """Cancel the connection's header timer; False if the guard does not hold it (closed)."""
        if transport not in self.open:
            return False
        timer = self.open[transport]
        if timer is not None:
            timer.cancel()
        self.open[transport] = None
        return True

    def _expire(self, transport: asyncio.BaseTransport) -> None:
        if transport not in self.open:
            return
        self.open[transport] = None
        self.timed_out += 1
        self._note("timed out")
        _abort(transport)

    def note_slow_body(self) -> None:
        self.timed_out += 1
        self._note("timed out")

    def _note(self, what: str) -> None:
        self._unlogged[what] += 1
        now = time.monotonic()
        if now - self._logged_at < LOG_WINDOW:
            return
        self._logged_at = now
        parts = [f"{count} {kind}" for kind, count in self._unlogged.items() if count]
        self._unlogged = dict.fromkeys(self._unlogged, 0)
        logger.warning(
            "%s: closed connections (%s; at most %d open, %g s for a request's headers);"
            " further ones are counted for %g s",
            self.name,
            ", ".join(parts),
            self.max_connections,
            self.header_timeout,
            LOG_WINDOW,
        )


class _GuardedProtocol(asyncio.Protocol):
    """Forwards everything to aiohttp's protocol once the guard has admitted the connection."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard) -> None:
        self._inner = inner
        self._guard = guard
        self._admitted = False
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        if not self._guard.admit(transport):
            _abort(transport)
            return
        self._admitted = True
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._admitted:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._admitted else None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._guard.release(self._transport)
        if self._admitted:
            self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._admitted:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._admitted:
            self._inner.resume_writing()

    def __getattr__(self, name: str) -> Any:  # anything else aiohttp may ask its protocol
        return getattr(self._inner, name)


def _abort(transport: asyncio.BaseTransport) -> None:
    abort = getattr(transport, "abort", None)
    if abort is not None:
        abort()
    else:  # pragma: no cover - every stream transport has abort()
        transport.close()
