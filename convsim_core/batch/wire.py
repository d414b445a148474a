"""Length-prefixed pickle frames over an asyncio stream: how a batch talks to its workers.

The parent and its worker processes are the same program on the same machine, so pickle (fast,
no schema to keep in step) is the right encoding; nothing else ever reads these frames. Writes
never block the event loop (the stream buffers them), which a ``multiprocessing.Connection``
could not promise: two processes each blocked sending to the other would deadlock.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import struct
from typing import Any

_HEADER = struct.Struct("!I")


class LinkClosed(ConnectionError):
    """The other end went away (it exited, crashed or was killed)."""


class Link:
    """One side of a parent-worker connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def send(self, message: Any) -> None:
        """Queue ``message``; never blocks (call :meth:`drain` now and then for backpressure)."""
        if self.writer.is_closing():
            raise LinkClosed("the connection is closed")
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer.write(_HEADER.pack(len(data)) + data)

    async def drain(self) -> None:
        try:
            await self.writer.drain()
        except (ConnectionError, OSError) as exc:
            raise LinkClosed(str(exc)) from exc

    async def receive(self) -> Any:
        try:
            (size,) = _HEADER.unpack(await self.reader.readexactly(_HEADER.size))
            return pickle.loads(await self.reader.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            raise LinkClosed(str(exc) or "end of stream") from exc

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
