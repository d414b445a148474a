"""The shared LLM rate limiter: fake-clock behaviour, 429 backoff, and ChatOpenAI wiring."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import openai
import pytest
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from convsim_core.batch import (
    BatchRateLimiter,
    RateLimits,
    rate_limit_scope,
)
from convsim_core.batch.ratelimit import retry_after_seconds
from tests.support.openai_server import OpenAIServer


class FakeClock:
    """Time only moves when someone sleeps; sleeping yields to the loop like a real sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def limiter(clock: FakeClock, **kwargs: Any) -> BatchRateLimiter:
    limits = RateLimits(kwargs.pop("rpm", None), kwargs.pop("tpm", None))
    return BatchRateLimiter(limits, clock=clock, sleep=clock.sleep, **kwargs)


async def acquire_times(lim: BatchRateLimiter, clock: FakeClock, n: int) -> list[float]:
    times = []
    for _ in range(n):
        await lim.aacquire()
        times.append(round(clock.now - 1000.0, 6))
    return times


async def test_requests_per_minute_spaces_requests_evenly() -> None:
    clock = FakeClock()
    lim = limiter(clock, rpm=60)  # one per second, burst of one
    assert await acquire_times(lim, clock, 4) == [0.0, 1.0, 2.0, 3.0]


async def test_a_burst_of_one_second_is_allowed_then_the_steady_rate() -> None:
    clock = FakeClock()
    lim = limiter(clock, rpm=600)  # 10 per second: 10 at once, then every 0.1 s
    times = await acquire_times(lim, clock, 13)
    assert times[:10] == [0.0] * 10
    assert times[10:] == pytest.approx([0.1, 0.2, 0.3])


async def test_tokens_per_minute_reserves_an_estimate_and_settles_the_real_count() -> None:
    clock = FakeClock()
    lim = limiter(clock, tpm=6000, initial_tokens_per_request=50)  # 100 tokens/s, cap 100
    assert await acquire_times(lim, clock, 2) == [0.0, 0.0]
    lim.settle(350)  # the first call really used 350 tokens: 300 more than reserved
    # The bucket is 300 in debt; the next call waits until a full bucket (100) is back: 4 s.
    await lim.aacquire()
    assert clock.now - 1000.0 == pytest.approx(4.0)
    assert lim.tokens_per_request == pytest.approx(50 + 0.2 * 300)


async def test_concurrent_waiters_are_served_in_order_without_polling() -> None:
    clock = FakeClock()
    lim = limiter(clock, rpm=120)  # a burst of 2, then every 0.5 s
    order: list[int] = []

    async def call(i: int) -> None:
        await lim.aacquire()
        order.append(i)

    await asyncio.gather(*(call(i) for i in range(6)))
    assert order == list(range(6))
    assert clock.now - 1000.0 == pytest.approx(2.0)
    assert clock.sleeps == pytest.approx([0.5] * 4)  # one timed sleep per wait, no busy loop
    assert lim.stats.acquired == 6 and lim.stats.waits == 4


async def test_a_429_pauses_everyone_for_retry_after_or_an_exponential_backoff() -> None:
    clock = FakeClock()
    lim = limiter(clock, rpm=6000, backoff_base=1.0)
    await lim.aacquire()
    assert lim.note_rate_limited(2.5) == 2.5
    await lim.aacquire()
    assert clock.now - 1000.0 == pytest.approx(2.5)
    assert [lim.note_rate_limited(None) for _ in range(3)] == [2.0, 4.0, 8.0]  # streak 2..4
    lim.settle(10)  # a success ends the streak
    assert lim.note_rate_limited(None) == 1.0
    assert lim.stats.rate_limited == 5


async def test_non_blocking_acquire_and_no_limits() -> None:
    clock = FakeClock()
    lim = limiter(clock, rpm=60)
    assert await lim.aacquire(blocking=False) is True
    assert await lim.aacquire(blocking=False) is False
    unlimited = limiter(clock)
    start = clock.now
    for _ in range(100):
        await unlimited.aacquire()
    assert clock.now == start  # never waits
    with pytest.raises(ValueError, match="requests_per_minute"):
        RateLimits(requests_per_minute=0)


def test_retry_after_headers() -> None:
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds(None) is None


def _model(server: OpenAIServer, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(
        model="test-model",
        base_url=server.base_url,
        api_key=SecretStr("test"),
        cache=False,
        **{"max_retries": 3, **kwargs},
    )


async def test_a_429_that_reaches_langchain_pauses_the_batch() -> None:
    """The SDK's own retries used up, the 429 arrives as an LLM error: every request waits."""
    lim = BatchRateLimiter(RateLimits(requests_per_minute=6000))
    async with OpenAIServer(fail_always=429) as server:
        model = _model(server, max_retries=0)
        before = lim.clock()
        with rate_limit_scope(lim), pytest.raises(openai.RateLimitError):
            await model.ainvoke([HumanMessage("hi")])
    assert server.statuses == [429]
    assert lim.stats.acquired == 1  # the limiter is acquired once per model call
    assert lim.stats.rate_limited == 1
    # The whole batch was paused (for the server's Retry-After, 1 ms here: it may be over now).
    assert lim.cooldown_until > before


async def test_scope_limits_chat_models_that_do_not_know_about_the_limiter(tmp_path: Path) -> None:
    from convsim_core.llm.cache import ConvsimSQLiteCache

    lim = BatchRateLimiter(RateLimits(requests_per_minute=6000, tokens_per_minute=10**6))
    async with OpenAIServer(responder=lambda _r: "cached answer") as server:
        cache = ConvsimSQLiteCache(str(tmp_path / "cache.sqlite"))
        plain = ChatOpenAI(
            model="test-model",
            base_url=server.base_url,
            api_key=SecretStr("test"),
            cache=cache,
        )
        with rate_limit_scope(lim):
            await plain.ainvoke([HumanMessage("same question")])
            await plain.ainvoke([HumanMessage("same question")])  # a cache hit
        await plain.ainvoke([HumanMessage("outside")])  # not limited any more
    assert len(server.requests) == 2
    assert lim.stats.acquired == 2 and lim.stats.refunds == 1  # the cache hit was given back


async def test_rate_limited_llm_batch_keeps_to_the_requests_per_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of LLM conversations (real scenario, real ChatOpenAI) shares one limit."""
    import time

    from convsim_core.batch import BatchPlan, BatchSession, ScenarioEntry
    from convsim_core.builder import build_full_runner
    from convsim_core.scenario import builtin_scenario

    arrivals: list[float] = []

    def responder(_request: dict[str, Any]) -> str:
        arrivals.append(time.monotonic())
        return "Thanks, that has been refunded. Goodbye!"

    async with OpenAIServer(responder=responder) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("CONVSIM_LLM_CACHE", "off")
        scenario = builtin_scenario("demo")
        plan = BatchPlan((ScenarioEntry("demo", "builtin:demo", 7),), runs=20)

        def factory(sc: Any, run: Any, transcript: Any) -> Any:
            return build_full_runner(sc, seed=run.seed, transcript=transcript, use_llm=True)

        lim = BatchRateLimiter(RateLimits(requests_per_minute=600))  # 10/s, burst 10
        session = BatchSession(plan, {"demo": scenario}, factory, folder=tmp_path, concurrency=20)
        started = time.monotonic()
        summary = await session.run(limiter=lim)
    assert summary.total.runs == 20 and summary.total.errors == 0
    calls = summary.total.usage.llm_calls
    assert calls == len(arrivals) == lim.stats.acquired >= 20
    # 10 at once, then 10 per second (the rate under test: plain numbers, not MS). Measured
    # from before the first grant: a loaded machine can delay the first request's arrival more
    # than the last one's, which would shrink a first-to-last span without the limiter being
    # at fault.
    assert arrivals[-1] - started >= (calls - 10) / 10 * 0.95
    assert summary.total.usage.total_tokens > 0
