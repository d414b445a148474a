"""Shared LLM rate limits for a batch: requests per minute, tokens per minute, 429 backoff.

Every conversation of a batch talks to the same provider account, so the limits must be shared
by all of them, not enforced per conversation. :class:`BatchRateLimiter` is a LangChain
``BaseRateLimiter`` (chat models call ``aacquire`` after a cache miss, right before the request)
with two token buckets:

- requests: refilled at ``requests_per_minute / 60`` per second; each request takes one;
- tokens: refilled at ``tokens_per_minute / 60`` per second. A request's size is unknown until
  the answer arrives, so acquiring reserves the running average of tokens per request and the
  actual count is settled afterwards (:meth:`BatchRateLimiter.settle`). The level may go
  negative after a large answer; later requests then wait until it has recovered.

Both buckets hold ``burst_seconds`` of budget, so a batch starting 200 conversations at once
does not send a minute's worth of requests in its first second.

A 429 from the provider (:meth:`BatchRateLimiter.note_rate_limited`) pauses *every* waiting
request for the server's ``Retry-After`` (else an exponential backoff), since the account, not
the one conversation, is over its limit. The openai SDK retries the failed request itself.

The clock and sleep are injectable so tests run the limiter on a fake clock.

How chat models get the limiter (see :func:`rate_limit_scope`): every chat model called inside
the scope is limited through a LangChain callback that acquires when the call starts, and is
refunded if the call turns out to be a cache hit. A 429 that reaches LangChain (the SDK's own
retries used up) pauses the whole batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any
from uuid import UUID

import attrs
from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.outputs import LLMResult
from langchain_core.rate_limiters import BaseRateLimiter
from langchain_core.tracers.context import register_configure_hook

from convsim_core.backoff import Backoff
from convsim_core.batch.limits import RateLimits
from convsim_core.llm.usage import is_cache_hit, token_counts

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

_EPSILON = 1e-6
"""Budget (requests, tokens, seconds) small enough to count as there."""


@attrs.define
class TokenBucket:
    """Capacity ``capacity``, refilled continuously at ``rate`` per second; may go negative."""

    capacity: float
    rate: float
    level: float
    stamp: float

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` is available (0 if it is now). Call after :meth:`refill`."""
        need = min(amount, self.capacity)
        # A tolerance: refills are float arithmetic, and a wait shorter than the clock's
        # resolution would never move it (an endless loop on a coarse or fake clock).
        return 0.0 if self.level >= need - _EPSILON else (need - self.level) / self.rate


@attrs.define
class LimiterStats:
    acquired: int = 0
    waits: int = 0
    waited_seconds: float = 0.0
    rate_limited: int = 0
    """429 answers seen."""
    refunds: int = 0


class BatchRateLimiter(BaseRateLimiter):
    """Requests/minute + tokens/minute + shared 429 backoff, on one event loop."""

    def __init__(
        self,
        limits: RateLimits,
        *,
        burst_seconds: float = 1.0,
        initial_tokens_per_request: float = 500.0,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if burst_seconds <= 0:
            raise ValueError("burst_seconds must be greater than 0")
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self.backoff = Backoff(base=backoff_base, ceiling=backoff_max)
        self.tokens_per_request = initial_tokens_per_request
        self.stats = LimiterStats()
        now = clock()
        self.requests = _bucket(limits.requests_per_minute, burst_seconds, now, minimum=1.0)
        self.tokens = _bucket(limits.tokens_per_minute, burst_seconds, now, minimum=1.0)
        self.cooldown_until = now
        self._streak = 0
        self._lock = asyncio.Lock()
        self._handler = RateLimitCallback(self)

    @property
    def callback(self) -> RateLimitCallback:
        """The LangChain callback that settles token counts and notices 429s."""
        return self._handler

    # -- acquiring ---------------------------------------------------------------------------

    def wait_time(self, now: float) -> float:
        """Seconds until one more request may go (0: now)."""
        wait = max(0.0, self.cooldown_until - now - _EPSILON)
        if self.requests is not None:
            self.requests.refill(now)
            wait = max(wait, self.requests.wait_for(1.0))
        if self.tokens is not None:
            self.tokens.refill(now)
            wait = max(wait, self.tokens.wait_for(self.tokens_per_request))
        return wait

    def _take(self) -> None:
        if self.requests is not None:
            self.requests.level -= 1.0
        if self.tokens is not None:
            self.tokens.level -= self.tokens_per_request
        self.stats.acquired += 1

    def acquire(self, *, blocking: bool = True) -> bool:
        """Synchronous acquire (LangChain's sync path); batches use :meth:`aacquire`."""
        while True:
            wait = self.wait_time(self.clock())
            if wait <= 0:
                self._take()
                return True
            if not blocking:
                return False
            self.stats.waits += 1
            self.stats.waited_seconds += wait
            time.sleep(wait)

    async def aacquire(self, *, blocking: bool = True) -> bool:
        """Wait (first come, first served) until a request may go, then take its budget.

        Waiters queue on a lock and the head sleeps exactly as long as the buckets need, so a
        thousand waiting conversations cost one timer, not a thousand polling loops.
        """
        if not blocking:
            if self._lock.locked() or self.wait_time(self.clock()) > 0:
                return False
            self._take()
            return True
        async with self._lock:
            while True:
                wait = self.wait_time(self.clock())
                if wait <= 0:
                    self._take()
                    return True
                self.stats.waits += 1
                self.stats.waited_seconds += wait
                await self.sleep(wait)

    # -- settling ----------------------------------------------------------------------------

    def settle(self, tokens: int) -> None:
        """A request that reserved the running average turned out to use ``tokens``."""
        if tokens <= 0:
            return
        if self.tokens is not None:
            self.tokens.refill(self.clock())
            self.tokens.level -= tokens - self.tokens_per_request
        # An exponential moving average: recent calls in a batch look like the next ones.
        self.tokens_per_request += 0.2 * (tokens - self.tokens_per_request)
        self._streak = 0

    def refund(self) -> None:
        """Give back a reservation whose call never reached the provider (a cache hit)."""
        if self.requests is not None:
            self.requests.level = min(self.requests.capacity, self.requests.level + 1.0)
        if self.tokens is not None:
            self.tokens.level = min(
                self.tokens.capacity, self.tokens.level + self.tokens_per_request
            )
        self.stats.refunds += 1

    def note_rate_limited(self, retry_after: float | None = None) -> float:
        """The provider answered 429: pause every request; returns the pause in seconds."""
        self._streak += 1
        self.stats.rate_limited += 1
        if retry_after is not None and retry_after > 0:
            delay = min(retry_after, self.backoff.ceiling)
        else:
            delay = self.backoff.delay(self._streak - 1)
        self.cooldown_until = max(self.cooldown_until, self.clock() + delay)
        logger.info("provider rate limit (429): pausing LLM requests for %.1fs", delay)
        return delay


def _bucket(
    per_minute: float | None, burst: float, now: float, minimum: float
) -> TokenBucket | None:
    if per_minute is None:
        return None
    rate = per_minute / 60.0
    capacity = max(minimum, rate * burst)
    return TokenBucket(capacity=capacity, rate=rate, level=capacity, stamp=now)


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """``retry-after-ms`` / ``retry-after`` (seconds) from a 429 answer, if present."""
    if not headers:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


def _is_rate_limit(error: BaseException) -> bool:
    return getattr(error, "status_code", None) == 429 or type(error).__name__ == "RateLimitError"


class RateLimitCallback(AsyncCallbackHandler):
    """Settles real token counts, notices 429s, and limits models that do not do it themselves."""

    def __init__(self, limiter: BatchRateLimiter) -> None:
        self.limiter = limiter
        self._gated: set[UUID] = set()

    async def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        await self.limiter.aacquire()
        self._gated.add(run_id)

    async def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        gated = run_id in self._gated
        self._gated.discard(run_id)
        if is_cache_hit(response):
            if gated:
                self.limiter.refund()
            return
        self.limiter.settle(sum(token_counts(response)))

    async def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._gated.discard(run_id)
        if _is_rate_limit(error):
            response = getattr(error, "response", None)
            self.limiter.note_rate_limited(retry_after_seconds(getattr(response, "headers", None)))


_hook_handler: ContextVar[RateLimitCallback | None] = ContextVar(
    "convsim_batch_limiter_hook", default=None
)
register_configure_hook(_hook_handler, inheritable=True)


@contextlib.contextmanager
def rate_limit_scope(limiter: BatchRateLimiter | None) -> Iterator[None]:
    """Make ``limiter`` apply to every chat-model call made in this context.

    Enter it before starting the batch's tasks (tasks copy the context when created).
    """
    if limiter is None:
        yield
        return
    hook = _hook_handler.set(limiter.callback)
    try:
        yield
    finally:
        _hook_handler.reset(hook)
