"""A batch over N worker processes: every core busy, one work queue, one writer of the folder.

Each worker is a ``spawn``-ed process with its own event loop running many conversations (its
share of ``--concurrency``). The parent keeps the queue and hands a worker one conversation
each time one of its conversations finishes, so a slow conversation never holds up the rest.
Workers write transcripts; the parent keeps every run's live status (the progress bar and the
dashboard read it as for a single process) and alone writes the manifest and summary.

LLM rate limits stay one budget: a worker's conversations ask the parent's
:class:`~convsim_core.batch.ratelimit.BatchRateLimiter` for every request
(:mod:`convsim_core.batch.remote_limits`), and a 429 seen by any worker pauses all of them.
The pause on a bot outage is one too: a worker whose conversation lost the bot tells the
parent, which holds the batch's :class:`~convsim_core.batch.retry.OutageGate`, pauses every
worker, probes the bot and lets them all go on when it answers.

Nothing is lost when a worker dies (even by SIGKILL): its conversations in flight whose
transcript is complete are counted from the transcript, the others are set aside as
``ID.partial-N.jsonl`` and queued again, and a replacement worker starts. Cancelling the batch
(Ctrl-C) asks every worker to stop; their conversations end ``stopped`` and ``--resume``
re-runs them, exactly as in one process.

Just over 400 lines: the pool's start, restart-after-death and shutdown share one table of
worker processes and in-flight runs, which is what makes a killed worker lose nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import socket
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs

from convsim_core.batch.folder import TranscriptState, set_aside, transcript_state
from convsim_core.batch.plan import PlannedRun
from convsim_core.batch.retry import OutageGate
from convsim_core.batch.spread import SpreadExecutor, WorkerError, WorkerSetup
from convsim_core.batch.status import RunStatus, WorkerInfo
from convsim_core.batch.wire import Link, LinkClosed
from convsim_core.batch.worker_process import worker_main
from convsim_core.persistence import read_transcript

if TYPE_CHECKING:
    from convsim_core.batch.ratelimit import BatchRateLimiter

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 20.0
"""How long stopped workers get to write their ``stopped`` result lines before being killed."""


class WorkerPoolExecutor(SpreadExecutor):
    """A :class:`BatchExecutor` whose conversations run in ``workers`` processes."""

    def __init__(
        self,
        *args: Any,
        workers: int,
        max_restarts: int | None = None,
        start_together: bool = False,
        **kwargs: Any,
    ) -> None:
        """The arguments of :class:`SpreadExecutor`, and: ``start_together``: hand out work
        only once every worker is up (benchmarks measure the run apart from the start-up;
        users want the first worker busy at once)."""
        super().__init__(*args, **kwargs)
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.worker_count = workers
        self.max_restarts = 2 * workers if max_restarts is None else max_restarts
        self._assigned: dict[int, dict[str, RunStatus]] = {}
        self._links: dict[int, Link] = {}
        self._processes: dict[int, Any] = {}
        self._all_done: asyncio.Future[None] | None = None
        self._stopping = False
        self._restarts = 0
        self._reopening: set[asyncio.Task[None]] = set()
        self.start_together = start_together
        self.requeued = 0
        """Conversations run again because their worker died before finishing them."""
        self.recovered = 0
        """Conversations a dying worker had finished on disk but not yet reported."""
        self.parent_cpu: float | None = None
        """CPU seconds this process spent from every worker being up to the last result
        (benchmarks read it beside the workers' own)."""
        self._ready_cpu = 0.0

    async def run(self) -> Any:
        count = min(self.worker_count, self.concurrency, len(self._queue))
        if count <= 1:
            return await super().run()  # one process is all this batch can use
        self.folder.mkdir(parents=True, exist_ok=True)
        self.started_at = time.monotonic()
        loop = asyncio.get_running_loop()
        self._all_done = loop.create_future()
        self._gate = OutageGate(self.retry) if self.retry is not None else None
        limiter = self.limiter
        setup = self.setup()
        self._spread(count)
        tasks = [
            asyncio.create_task(self._serve(info, setup, limiter), name=f"worker-{info.index}")
            for info in self.workers
        ]
        try:
            await self._all_done
            # Every worker has been told to exit: let them close their files and caches.
            await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
        except asyncio.CancelledError:
            await self._stop(tasks)
            raise
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._kill_all()
            for task in self._reopening:
                task.cancel()
            if self._gate is not None:
                await self._gate.close()
            self.elapsed = time.monotonic() - self.started_at
        return self.counts

    # -- one worker ------------------------------------------------------------------------

    async def _serve(
        self, info: WorkerInfo, setup: WorkerSetup, limiter: BatchRateLimiter | None
    ) -> None:
        """Run worker ``info`` (and its replacements) until the batch is done or stopping."""
        while True:
            try:
                await self._one_process(info, setup, limiter)
            except LinkClosed:
                pass  # the worker exited or died: see below
            except Exception as exc:  # it failed to start or to set up; so would the others
                self._reap(info)
                if not isinstance(exc, WorkerError):
                    logger.exception("worker %d", info.index)
                    exc = WorkerError(f"worker {info.index}: {type(exc).__name__}: {exc}")
                self._fail(exc)
                return
            self._reap(info)
            if self._stopping or self._finished_all():
                return
            if not self._queue:
                return  # what it held was counted or re-queued to the others
            if self._restarts >= self.max_restarts:
                if not any(w.alive for w in self.workers):
                    self._fail(
                        WorkerError(f"worker processes died {self._restarts + 1} times; stopping")
                    )
                return
            self._restarts += 1
            info.restarts += 1
            logger.warning("worker %d died; starting a replacement", info.index)

    async def _one_process(
        self, info: WorkerInfo, setup: WorkerSetup, limiter: BatchRateLimiter | None
    ) -> None:
        ours, theirs = socket.socketpair()
        context = multiprocessing.get_context("spawn")
        process = context.Process(
            target=worker_main,
            args=(theirs, info.index),
            name=f"convsim-batch-worker-{info.index}",
            daemon=True,
        )
        with _real_stderr():
            process.start()
        theirs.close()
        self._processes[info.index] = process
        info.pid, info.alive = process.pid, True
        reader, writer = await asyncio.open_connection(sock=ours)
        link = Link(reader, writer)
        self._assigned[info.index] = {}
        try:
            link.send(
                (
                    "init",
                    {
                        "setup": setup,
                        "scenarios": self.scenarios,
                        "folder": self.folder,
                        "capacity": info.capacity,
                        "header": self.header,
                        "scenario_headers": self.scenario_headers,
                        "limited": limiter is not None,
                        # The parent probes the bot; a worker only needs the attempts.
                        "retry": attrs.evolve(self.retry, probe=None) if self.retry else None,
                        "gate": self._gate_state(),
                    },
                )
            )
            grants: set[asyncio.Task[None]] = set()
            while True:
                message = await link.receive()
                kind = message[0]
                if kind == "events":
                    self._apply(info, message[1], message[2])
                    self._fill(info, link)
                elif kind == "acquire" and limiter is not None:
                    task = asyncio.create_task(_grant(limiter, link, message[1]))
                    grants.add(task)
                    task.add_done_callback(grants.discard)
                elif kind == "limit" and limiter is not None:
                    from convsim_core.batch.remote_limits import apply_notice

                    apply_notice(limiter, message[1], message[2])
                elif kind == "outage":
                    self._on_outage(link, message[1])
                elif kind == "ready":
                    self._links[info.index] = link
                    if self._gate is not None:  # it may have changed since "init"
                        link.send(("gate", *self._gate_state()))
                    self._on_ready(info, link)
                elif kind == "log":
                    logger.log(message[1], "worker %d: %s", info.index, message[2])
                elif kind == "bye":
                    info.peak_rss_kb, info.cpu_seconds = message[1], message[2]
                elif kind == "fatal":
                    raise WorkerError(f"worker {info.index}: {message[1]}")
                if self._finished_all():
                    self._complete()
        finally:
            self._links.pop(info.index, None)
            await link.close()

    def _on_ready(self, info: WorkerInfo, link: Link) -> None:
        if self.ready_at is not None or not self.start_together:
            if self.ready_at is None and len(self._links) == len(self.workers):
                self._all_ready()
            self._fill(info, link)
            return
        if len(self._links) == len(self.workers):
            self._all_ready()
            for index, ready in list(self._links.items()):
                self._fill(self.workers[index], ready)

    def _all_ready(self) -> None:
        self.ready_at = time.monotonic()
        self._ready_cpu = time.process_time()

    def _fill(self, info: WorkerInfo, link: Link) -> None:
        """Top the worker up to its capacity from the queue."""
        if self._stopping:
            return
        assigned = self._assigned[info.index]
        batch: list[PlannedRun] = []
        while len(assigned) < info.capacity and (status := self._next_queued()) is not None:
            self._start(status, info.index)
            assigned[status.run.run_id] = status
            batch.append(status.run)
        if batch:
            info.running = len(assigned)
            link.send(("run", batch))

    def _apply(
        self,
        info: WorkerInfo,
        messages: dict[str, int],
        done: list[tuple[str, int, str | None, str | None, str | None]],
    ) -> None:
        assigned = self._assigned[info.index]
        for run_id, count in messages.items():
            status = assigned.get(run_id)
            if status is not None:
                status.messages = count
                self._notify(status)
        for run_id, count, termination, error, outcome in done:
            status = assigned.pop(run_id, None)
            if status is None:
                continue
            info.finished += 1
            info.running = len(assigned)
            if self.policy is not None and self._from_disk(status):
                continue  # counted with its full result: the run policy needs it
            self._finished(
                status, messages=count, termination=termination, error=error, outcome=outcome
            )

    def _from_disk(self, status: RunStatus) -> bool:
        """Count a finished run from its transcript (result and header), for the run policy."""
        try:
            transcript = read_transcript(status.path)
        except (OSError, ValueError):
            logger.warning("cannot read back %s for the run policy", status.path)
            return False
        if transcript.result is None:
            return False
        self._on_result(status, transcript.result, transcript.header)
        return True

    def _reap(self, info: WorkerInfo) -> None:
        """The worker is gone: count what it finished on disk, queue the rest again."""
        process = self._processes.pop(info.index, None)
        if process is not None:
            if process.is_alive():
                process.kill()
            process.join(5)
        info.alive = False
        lost = self._assigned.pop(info.index, {})
        info.running = 0
        if not lost:
            return
        if not self._stopping:
            logger.warning(
                "worker %d (pid %s) ended with %d conversation(s) in flight; re-running them",
                info.index,
                info.pid,
                len(lost),
            )
        for status in lost.values():
            self._recover(status)
        for index, link in list(self._links.items()):
            self._fill(self.workers[index], link)

    def _recover(self, status: RunStatus) -> None:
        path = status.path
        state = transcript_state(path)
        if state is TranscriptState.COMPLETE or (
            self._stopping and state is not TranscriptState.MISSING
        ):
            # Written to the end before the worker died: it counts as it stands.
            from convsim_core.batch.records import read_record

            record = read_record(path)
            result = record.result
            if result is not None:
                self.recovered += 1
                self._on_result(status, result)
                return
        if self._stopping:
            self._finished(status, messages=0, termination="stopped", error=None, outcome=None)
            return
        if state is not TranscriptState.MISSING:
            set_aside(path)
        self.requeued += 1
        self._requeue(status)

    # -- the outage pause, for every worker --------------------------------------------------

    def _gate_state(self) -> tuple[bool, bool]:
        gate = self._gate
        return (True, False) if gate is None else (gate.is_open, gate.given_up)

    def _on_outage(self, link: Link, detail: str) -> None:
        """A worker lost the bot: pause every worker while the parent probes it."""
        gate = self._gate
        if gate is None:
            return
        if not gate.is_open or gate.given_up:
            # Paused already (the others were told), or not pausing any more: this worker
            # closed its own gate and must hear the state now if it is not going to change.
            if gate.is_open:
                with contextlib.suppress(LinkClosed):
                    link.send(("gate", *self._gate_state()))
            return
        gate.report_failure(detail)
        self._broadcast(("gate", *self._gate_state()))
        task = asyncio.create_task(self._reopen(gate), name="outage-reopen")
        self._reopening.add(task)
        task.add_done_callback(self._reopening.discard)

    async def _reopen(self, gate: OutageGate) -> None:
        await gate.wait_open()
        self._broadcast(("gate", *self._gate_state()))

    def _broadcast(self, message: tuple[Any, ...]) -> None:
        for link in list(self._links.values()):
            with contextlib.suppress(LinkClosed):
                link.send(message)

    # -- the whole pool --------------------------------------------------------------------

    def _finished_all(self) -> bool:
        return not self._queue and not any(self._assigned.values())

    def _complete(self) -> None:
        if self.parent_cpu is None and self.ready_at is not None:
            self.parent_cpu = time.process_time() - self._ready_cpu
        self._broadcast(("exit",))
        if self._all_done is not None and not self._all_done.done():
            self._all_done.set_result(None)

    def _fail(self, error: BaseException) -> None:
        if self._all_done is not None and not self._all_done.done():
            self._all_done.set_exception(error)

    async def _stop(self, tasks: list[asyncio.Task[None]]) -> None:
        """Ask every worker to stop and wait while they write their ``stopped`` lines."""
        self._stopping = True
        self._broadcast(("stop",))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.shield(asyncio.gather(*tasks, return_exceptions=True)),
                STOP_GRACE_SECONDS,
            )
        for info in self.workers:
            self._reap(info)

    def _kill_all(self) -> None:
        for info in self.workers:
            process = self._processes.pop(info.index, None)
            if process is not None and process.is_alive():
                process.kill()
                process.join(5)
            info.alive = False


@contextlib.contextmanager
def _real_stderr() -> Iterator[None]:
    """Spawning starts multiprocessing's resource tracker, which hands it ``sys.stderr``'s
    descriptor; under a full-screen app or a test's capture that object has none (or -1), and
    the spawn fails. The process's own stderr is what the tracker should get anyway."""
    replaced = sys.stderr
    try:
        if sys.__stderr__ is not None:
            sys.stderr = sys.__stderr__
        yield
    finally:
        sys.stderr = replaced


async def _grant(limiter: BatchRateLimiter, link: Link, request: int) -> None:
    await limiter.aacquire()
    with contextlib.suppress(LinkClosed):
        link.send(("granted", request))
