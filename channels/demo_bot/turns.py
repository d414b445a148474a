"""One bot turn, the same for every protocol: pacing, misbehaviour knobs and counters.

The endpoints only know how to put a reply on their wire (a ``Deliver`` callable); this module
decides what is sent, in which order and when, so ``slow_seconds``, ``burst``, ``garbage_every``
and ``drop_after`` behave identically everywhere they apply.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

import attrs

from channels.demo_bot.brain import DemoBotBrain

Deliver = Callable[[str, bool], Awaitable[None]]
"""Sends one reply message; the flag says whether it is the last of the turn."""
BeforeReply = Callable[[int], Awaitable[None]]
"""Runs before reply number ``index`` of a turn is delivered (typing indicators)."""
SendGarbage = Callable[[], Awaitable[None]]
"""Puts one unreadable frame on the wire (the ``garbage_every`` knob)."""


@attrs.frozen
class TurnHooks:
    """What one protocol adds to a turn: typing indicators, a way to send an unreadable frame.

    One value rather than two optional arguments, so every endpoint (and anything wrapping
    :meth:`TurnEngine.run`) passes the same thing on.
    """

    before_reply: BeforeReply | None = None
    garbage: SendGarbage | None = None


NO_HOOKS = TurnHooks()


def _at_least_one(_: object, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and value < 1:
        raise ValueError(f"{attribute.name} must be at least 1, got {value}")


def _not_negative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} cannot be negative, got {value}")


@attrs.define(eq=False)
class TurnEngine:
    """Runs the brain for each customer message; turns of one session never interleave.

    The knobs (``reply_delay`` .. ``burst``) are described in :mod:`channels.demo_bot.server`;
    a value that makes no sense is refused when the engine is made (or the knob set).
    """

    brain: DemoBotBrain
    reply_delay: float = attrs.field(default=0.0, kw_only=True, validator=_not_negative)
    drop_after: int | None = attrs.field(default=None, kw_only=True, validator=_at_least_one)
    garbage_every: int | None = attrs.field(default=None, kw_only=True, validator=_at_least_one)
    slow_seconds: float = attrs.field(default=0.0, kw_only=True, validator=_not_negative)
    burst: int | None = attrs.field(default=None, kw_only=True, validator=_at_least_one)
    idle_forget: float = attrs.field(default=600.0, kw_only=True)
    """HTTP protocols never say a conversation ended: a session idle this long is over."""
    max_sessions: int = attrs.field(default=10_000, kw_only=True)
    _clock: Callable[[], float] = attrs.field(default=time.monotonic, kw_only=True)
    replies_sent: int = attrs.field(default=0, init=False)
    garbage_sent: int = attrs.field(default=0, init=False)
    dropped: bool = attrs.field(default=False, init=False)
    _received: dict[str, int] = attrs.field(factory=dict, init=False)
    _locks: dict[str, asyncio.Lock] = attrs.field(factory=dict, init=False)
    _last_used: OrderedDict[str, float] = attrs.field(factory=OrderedDict, init=False)

    @property
    def received(self) -> Mapping[str, int]:
        return MappingProxyType(self._received)

    def open_session(self, session_id: str) -> None:
        """Make a session known (a ``start`` frame) without counting a message."""
        self._received.setdefault(session_id, 0)

    def forget(self, session_id: str) -> None:
        """Drop a finished session's conversation state (its message count stays)."""
        self.brain.forget(session_id)
        self._locks.pop(session_id, None)
        self._last_used.pop(session_id, None)

    @property
    def session_count(self) -> int:
        """Sessions whose conversation state is kept (what memory grows with)."""
        return len(self._last_used)

    def count(self, session_id: str) -> None:
        """Record one inbound customer message (including one that is then dropped)."""
        self._received[session_id] = self._received.get(session_id, 0) + 1
        while len(self._received) > self.max_sessions:  # counts of the oldest sessions go
            del self._received[next(iter(self._received))]

    def _touch(self, session_id: str) -> None:
        now = self._clock()
        self._last_used[session_id] = now
        self._last_used.move_to_end(session_id)
        while self._last_used:
            oldest, used = next(iter(self._last_used.items()))
            if now - used < self.idle_forget and len(self._last_used) <= self.max_sessions:
                break
            lock = self._locks.get(oldest)
            if oldest == session_id or (lock is not None and lock.locked()):
                break  # a turn is running there; look again next time
            self.forget(oldest)

    def take_drop(self, inbound: int) -> bool:
        """Whether a connection's ``inbound``-th message triggers the one-off ``drop_after``."""
        if self.drop_after is None or self.dropped or inbound < self.drop_after:
            return False
        self.dropped = True
        return True

    async def run(
        self, session_id: str, text: str, deliver: Deliver, hooks: TurnHooks = NO_HOOKS
    ) -> None:
        """Answer one customer message through ``deliver``."""
        before_reply, garbage = hooks.before_reply, hooks.garbage
        lock = self._locks.setdefault(session_id, asyncio.Lock())
        self._touch(session_id)
        async with lock:
            if self.slow_seconds:
                await asyncio.sleep(self.slow_seconds)
            replies = self.shape(self.brain.reply(session_id, text))
            for index, reply in enumerate(replies):
                if before_reply is not None:
                    await before_reply(index)
                if self.reply_delay:
                    await asyncio.sleep(self.reply_delay)
                if garbage is not None and self._garbage_due():
                    self.garbage_sent += 1
                    await garbage()
                await deliver(reply, index == len(replies) - 1)
                self.replies_sent += 1

    def _garbage_due(self) -> bool:
        every = self.garbage_every
        return every is not None and (self.replies_sent + 1) % every == 0

    def shape(self, replies: list[str]) -> list[str]:
        """Apply ``burst``: exactly N messages, with the brain's last message still last."""
        n = self.burst
        if n is None or len(replies) == n:
            return replies
        if len(replies) > n:
            return [*replies[: n - 1], " ".join(replies[n - 1 :])]
        extra = n - len(replies)
        fillers = [
            f"One moment, still working on it ({i} of {extra})." for i in range(1, extra + 1)
        ]
        return [*replies[:-1], *fillers, replies[-1]]
