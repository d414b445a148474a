"""A rate limiter whose every decision is made elsewhere: the batch's one limiter authority.

Worker processes and Ray actors each run many conversations, but the provider account is one:
a request may go only when the batch's single :class:`BatchRateLimiter` (in the parent process,
or in one Ray actor) says so, and a 429 seen anywhere pauses everyone. This class is what the
conversations of a worker see; it forwards acquiring, settling, refunds and 429s to an
:class:`Authority` and keeps no budget of its own.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Protocol

from convsim_core.batch.limits import RateLimits
from convsim_core.batch.ratelimit import BatchRateLimiter


class Authority(Protocol):
    """Where the batch's limiter lives, seen from a worker."""

    async def acquire(self) -> None:
        """Return once one request may go (its budget taken)."""

    def notify(self, kind: str, value: float | None = None) -> None:
        """Fire and forget: ``settle`` (tokens), ``refund``, ``429`` (retry-after), ``take``."""


class RemoteRateLimiter(BatchRateLimiter):
    """Looks like a :class:`BatchRateLimiter` to LangChain; the budget lives at ``authority``."""

    def __init__(self, authority: Authority) -> None:
        super().__init__(RateLimits())
        self.authority = authority

    async def aacquire(self, *, blocking: bool = True) -> bool:
        if not blocking:
            return False  # asking the authority takes a round trip: never "free right now"
        await self.authority.acquire()
        self.stats.acquired += 1
        return True

    def acquire(self, *, blocking: bool = True) -> bool:
        # LangChain's synchronous path (convsim never takes it): counted, not awaited.
        self.authority.notify("take")
        self.stats.acquired += 1
        return True

    def settle(self, tokens: int) -> None:
        if tokens > 0:
            self.authority.notify("settle", float(tokens))

    def refund(self) -> None:
        self.stats.refunds += 1
        self.authority.notify("refund")

    def note_rate_limited(self, retry_after: float | None = None) -> float:
        self.stats.rate_limited += 1
        self.authority.notify("429", retry_after)
        return 0.0


def apply_notice(limiter: BatchRateLimiter, kind: str, value: float | None) -> None:
    """The authority's side of :meth:`Authority.notify`."""
    if kind == "settle" and value is not None:
        limiter.settle(int(value))
    elif kind == "refund":
        limiter.refund()
    elif kind == "429":
        limiter.note_rate_limited(value)
    elif kind == "take":
        limiter._take()


class PendingGrants:
    """Request ids and the futures waiting for their grant (the worker side of a link)."""

    def __init__(self) -> None:
        self._ids = itertools.count()
        self._waiting: dict[int, asyncio.Future[None]] = {}

    def new(self) -> tuple[int, asyncio.Future[None]]:
        request = next(self._ids)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[request] = future
        return request, future

    def granted(self, request: int) -> None:
        future = self._waiting.pop(request, None)
        if future is not None and not future.done():
            future.set_result(None)

    def forget(self, request: int) -> None:
        self._waiting.pop(request, None)

    def fail_all(self, error: BaseException) -> None:
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(error)
        self._waiting.clear()
