"""The hybrid runner's mailbox: everything that happens in a hybrid conversation, in order.

The channel listener, the session hooks and the customer's typing task each post an item; only
the runner's own task takes them out, so the conversation, transcript and judgements are built
in arrival order without locks. Items are plain data, so the turn rules
(:mod:`convsim_core.runners.turns`) can be tested without any of the tasks.
"""

from __future__ import annotations

import asyncio
from collections import deque

import attrs

from convsim_core.channel import ChannelError
from convsim_core.models import Message


@attrs.frozen
class Arrival:
    message: Message
    at: float
    """Event-loop time of arrival, for settling."""


@attrs.frozen
class TurnComplete:
    pass


@attrs.frozen
class Ended:
    pass


@attrs.frozen
class Failed:
    error: ChannelError


@attrs.frozen
class Ready:
    generation: int
    reply: Message | None


@attrs.frozen
class Crashed:
    generation: int
    error: Exception


Item = Arrival | TurnComplete | Ended | Failed | Ready | Crashed


class Mailbox:
    """A FIFO the runner can peek into (an agent message queued behind a finished draft)."""

    def __init__(self) -> None:
        self._items: deque[Item] = deque()
        self._nonempty = asyncio.Event()

    def put(self, item: Item) -> None:
        self._items.append(item)
        self._nonempty.set()

    def has_arrival(self) -> bool:
        return any(isinstance(item, Arrival) for item in self._items)

    async def get(self, within: float | None) -> Item | None:
        """The next item, or None when ``within`` seconds pass first (None: wait forever)."""
        if not self._items:
            if within is not None and within <= 0:
                return None
            self._nonempty.clear()
            try:
                async with asyncio.timeout(within):
                    await self._nonempty.wait()
            except TimeoutError:
                return None
        return self._items.popleft()
