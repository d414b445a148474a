"""A batch on a Ray cluster: conversations on async actors, transcripts on the driver.

Each :class:`ConversationActor` is one event loop running many conversations at once (its
``max_concurrency`` is its share of ``--concurrency``); actors are spread over the cluster's
nodes. An actor keeps a conversation's transcript lines in memory and returns them when the
conversation ends; the driver (the machine running ``convsim batch``) writes the file into the
output folder, so the folder is complete, resumable and summarised exactly as for a local
batch. A transcript appears only once its conversation has ended: a batch cut short leaves no
half-written files, and ``--resume`` runs what is missing.

LLM rate limits live in one :class:`LimiterActor` holding the batch's
:class:`~convsim_core.batch.ratelimit.BatchRateLimiter`; every actor's conversations ask it for
each request (:mod:`convsim_core.batch.remote_limits`), so the budget and 429 pauses are shared
by the whole cluster.

Needs the ``ray`` extra (``pip install 'convsim[ray]'``); nothing else imports this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ray

from convsim_core.batch.executor import BatchExecutor, RunnerFactory
from convsim_core.batch.limits import RateLimits
from convsim_core.batch.plan import PlannedRun
from convsim_core.batch.spread import SpreadExecutor, WorkerError, WorkerSetup
from convsim_core.batch.status import RunStatus, WorkerInfo
from convsim_core.models import ConversationResult
from convsim_core.persistence import TranscriptLines
from convsim_core.serialization import from_json

if TYPE_CHECKING:
    from convsim_core.batch.ratelimit import BatchRateLimiter

logger = logging.getLogger(__name__)

Outcome = tuple[list[str], int, str | None, str | None, str | None]
"""What an actor returns per conversation: transcript lines, messages, termination, error,
outcome."""


class LimiterActor:
    """The batch's one rate limiter, for every actor of the cluster."""

    def __init__(self, limits: RateLimits) -> None:
        from convsim_core.batch.ratelimit import BatchRateLimiter

        self.limiter = BatchRateLimiter(limits)

    async def acquire(self) -> None:
        await self.limiter.aacquire()

    async def notify(self, kind: str, value: float | None) -> None:
        from convsim_core.batch.remote_limits import apply_notice

        apply_notice(self.limiter, kind, value)


class _ActorAuthority:
    def __init__(self, actor: Any) -> None:
        self.actor = actor

    async def acquire(self) -> None:
        await self.actor.acquire.remote()

    def notify(self, kind: str, value: float | None = None) -> None:
        self.actor.notify.remote(kind, value)


class ConversationActor:
    """Runs conversations on its own event loop; returns each one's transcript lines."""

    def __init__(
        self,
        setup: WorkerSetup,
        scenarios: Mapping[str, Any],
        header: Mapping[str, Any],
        limiter: Any | None,
        scenario_headers: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.setup = setup
        self.scenario_headers = dict(scenario_headers or {})
        self.scenarios = scenarios
        self.header = dict(header)
        self.limiter_actor = limiter
        self._executor: BatchExecutor | None = None
        self._stack = contextlib.AsyncExitStack()
        self._opening: asyncio.Lock | None = None
        self._sinks: dict[str, TranscriptLines] = {}
        self._remote_limiter: Any = None

    async def ready(self) -> tuple[str, int]:
        await self._open()
        return ray.util.get_node_ip_address(), os.getpid()  # type: ignore[no-untyped-call]

    async def _open(self) -> BatchExecutor:
        # Opened on first use (also after Ray restarted the actor): bot channels, LLM cache.
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._executor is None:
                factory: RunnerFactory = await self._stack.enter_async_context(self.setup.open())
                self._executor = BatchExecutor(
                    (),
                    self.scenarios,
                    factory,
                    folder=Path("."),
                    concurrency=1,
                    header=self.header,
                    writer_factory=self._sink,
                    scenario_headers=self.scenario_headers,
                )
                if self.limiter_actor is not None:
                    from convsim_core.batch.remote_limits import RemoteRateLimiter

                    self._remote_limiter = RemoteRateLimiter(_ActorAuthority(self.limiter_actor))
            return self._executor

    def _sink(self, path: Path) -> TranscriptLines:
        sink = TranscriptLines()
        self._sinks[path.name] = sink
        return sink

    async def run(self, run: PlannedRun) -> Outcome:
        executor = await self._open()
        if self._remote_limiter is not None:
            from convsim_core.batch.ratelimit import rate_limit_scope

            with rate_limit_scope(self._remote_limiter):
                status = await executor.run_one(run)
        else:
            status = await executor.run_one(run)
        lines = self._sinks.pop(run.file_name).lines
        return lines, status.messages, status.termination, status.error, status.outcome


class RayExecutor(SpreadExecutor):
    """A :class:`BatchExecutor` whose conversations run on Ray actors."""

    def __init__(
        self, *args: Any, address: str | None = None, actors: int | None = None, **kwargs: Any
    ) -> None:
        """The arguments of :class:`SpreadExecutor`, and the Ray address and actor count."""
        super().__init__(*args, **kwargs)
        self.address = address
        self.actor_count = actors
        self.lost = 0
        """Conversations whose actor died; they ran again."""

    async def run(self) -> Any:
        if not self._queue:
            return await super().run()  # nothing left (a resumed, finished batch): no cluster
        self.folder.mkdir(parents=True, exist_ok=True)
        self.started_at = time.monotonic()
        started_ray = False
        if not ray.is_initialized():
            ray.init(address=self.address, logging_level=logging.WARNING)
            started_ray = True
        handles: list[Any] = []
        try:
            handles = await self._start_actors(self.limiter)
            slots = [
                asyncio.create_task(self._slot(info, handles[info.index]))
                for info in self.workers
                for _ in range(info.capacity)
            ]
            try:
                await asyncio.gather(*slots)
            finally:
                for slot in slots:
                    slot.cancel()
                await asyncio.gather(*slots, return_exceptions=True)
            if self._queue:
                raise WorkerError(f"every Ray actor failed; {len(self._queue)} left to run")
        finally:
            for handle in handles:
                with contextlib.suppress(Exception):
                    ray.kill(handle)
            if started_ray:
                ray.shutdown()
            self.elapsed = time.monotonic() - self.started_at
        return self.counts

    async def _start_actors(self, limiter: BatchRateLimiter | None) -> list[Any]:
        cpus = float(ray.cluster_resources().get("CPU", 1.0))  # type: ignore[no-untyped-call]
        count = self.actor_count or max(1, int(cpus))
        count = max(1, min(count, self.concurrency, len(self._queue) or 1))
        per_actor_cpu = min(1.0, cpus / count)
        limiter_handle = None
        if limiter is not None:
            limiter_handle = (
                ray.remote(LimiterActor)
                .options(num_cpus=0, max_concurrency=max(1000, self.concurrency * 2))
                .remote(limiter.limits)
            )
        setup = self.setup()
        self._spread(count)
        actor_class = ray.remote(ConversationActor)
        handles: list[Any] = [
            actor_class.options(
                num_cpus=per_actor_cpu,
                max_concurrency=info.capacity,
                max_restarts=2,
                max_task_retries=2,
                scheduling_strategy="SPREAD",
            ).remote(setup, self.scenarios, self.header, limiter_handle, self.scenario_headers)
            for info in self.workers
        ]
        for info, (_node, pid) in zip(
            self.workers, await asyncio.gather(*(h.ready.remote() for h in handles)), strict=True
        ):
            info.pid, info.alive = pid, True
        self.ready_at = time.monotonic()
        return handles

    async def _slot(self, info: WorkerInfo, handle: Any) -> None:
        """One of the actor's concurrent conversations: take the next run, repeat."""
        while (status := self._next_queued()) is not None:
            self._start(status, info.index)
            info.running += 1
            try:
                lines, messages, termination, error, outcome = await handle.run.remote(status.run)
            except asyncio.CancelledError:
                self._finished(status, messages=0, termination="stopped", error=None, outcome=None)
                raise
            except ray.exceptions.RayError as exc:
                # The actor is gone for good (Ray restarts and retries first): run it elsewhere.
                logger.warning("Ray actor %d failed on %s: %s", info.index, status.run.run_id, exc)
                info.alive = False
                self.lost += 1
                self._requeue(status)
                return
            self._write(status, lines)
            info.running -= 1
            info.finished += 1
            if self.policy is not None:  # the run policy needs the whole result
                self._on_result(status, _result_of(lines), json.loads(lines[0]))
                continue
            self._finished(
                status, messages=messages, termination=termination, error=error, outcome=outcome
            )

    def _write(self, status: RunStatus, lines: list[str]) -> None:
        # Written whole, then renamed: a transcript on disk is always a finished one.
        path = status.path
        partial = path.with_name(path.name + ".tmp")
        partial.write_text("".join(lines), encoding="utf-8")
        partial.replace(path)


def _result_of(lines: list[str]) -> ConversationResult:
    return from_json(json.loads(lines[-1]), ConversationResult)
