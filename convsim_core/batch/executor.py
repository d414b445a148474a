"""Run many conversations on one event loop, at most ``concurrency`` at a time.

A fixed pool of worker tasks pulls planned runs from a queue: memory stays flat however long
the batch, and there is never a thread per conversation. Each conversation writes its own
transcript as it goes (through :class:`~convsim_core.persistence.TranscriptWriter`), so stopping
the process at any moment loses at most the conversations in flight, which ``--resume`` re-runs.

The executor knows nothing about scenarios, LLMs or channels: a *runner factory* builds each
conversation's runner, which is what makes full and hybrid batches (and tests) the same code.

Over 400 lines on purpose: it is one class whose start, finish, retry, resume and stop paths
share the same counters and queue; split, each part would reach into the others' state. The
state it keeps is in :mod:`convsim_core.batch.status`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from convsim_core.batch.folder import set_aside
from convsim_core.batch.plan import PlannedRun
from convsim_core.batch.retry import Gate, OutageGate, RetryPolicy, is_infrastructure_error
from convsim_core.batch.status import BatchCounts, RunState, RunStatus, WorkerInfo
from convsim_core.channel import ChannelError
from convsim_core.models import Conversation, ConversationResult, Message, TerminationReason
from convsim_core.persistence import TranscriptSink, TranscriptWriter
from convsim_core.runners.base import Runner

if TYPE_CHECKING:
    from convsim_core.batch.ratelimit import BatchRateLimiter

logger = logging.getLogger(__name__)

RunnerFactory = Callable[[Any, PlannedRun, TranscriptSink], "Runner | Awaitable[Runner]"]
"""``factory(scenario, run, transcript) -> runner`` (or an awaitable of one).

The runner must report to ``transcript`` (``RunnerServices(transcript=...)`` or the builders'
``transcript=`` argument) and use ``run.seed``.
"""

NO_OUTCOME = "(none)"
"""How a finished conversation without an outcome is counted."""


BatchListener = Callable[[RunStatus], None]
"""Called on every change of a run (start, message, finish); must be cheap and not block."""


class RunPolicy(Protocol):
    """Decides, as results come in, which queued runs still start and which runs to add.

    ``convsim test`` uses one for retries, ``--until-decided`` and LLM budgets; plain batches
    have none and run exactly their plan. Both methods are called on the event loop and must
    not block.
    """

    def wanted(self, run: PlannedRun) -> bool:
        """Whether a queued run should still start (False leaves it without a transcript)."""
        ...

    def finished(
        self, run: PlannedRun, result: ConversationResult, header: Mapping[str, Any]
    ) -> Sequence[PlannedRun]:
        """Runs to add to the queue after ``run`` ended with ``result``."""
        ...


@attrs.define(eq=False)
class _BatchSink(TranscriptSink):
    """Forwards to the transcript writer and keeps the run's live status current."""

    _executor: BatchExecutor
    _writer: TranscriptSink
    _status: RunStatus
    _extra: dict[str, Any]
    may_hold: bool = attrs.field(default=False, kw_only=True)
    """Whether an infrastructure error is kept back for a retry instead of being counted."""
    started: bool = attrs.field(default=False, init=False)
    finished: bool = attrs.field(default=False, init=False)
    header: dict[str, Any] = attrs.field(factory=dict, init=False)
    held: ConversationResult | None = attrs.field(default=None, init=False)
    _notify: BatchListener | None = attrs.field(default=None, init=False)
    """What hears every message: the executor's listener, unless it reads counts itself."""

    def __attrs_post_init__(self) -> None:
        if self._executor.message_events:
            self._notify = self._executor._notify

    async def start(self, header: dict[str, Any]) -> None:
        self.started = True
        self.header = header
        await self._writer.start({**header, "batch": self._extra})

    def message(self, index: int, message: Message) -> None:
        self._writer.message(index, message)
        self._status.messages = index + 1
        if self._notify is not None:
            self._notify(self._status)

    def finish(self, result: ConversationResult) -> None:
        if self.finished:
            return
        self.finished = True
        try:
            self._writer.finish(result)
        finally:
            if self.may_hold and is_infrastructure_error(result):
                self.held = result
            else:
                self._executor._on_result(self._status, result, self.header)

    async def closed(self) -> None:
        await self._writer.closed()


class BatchExecutor:
    """Runs ``runs`` through ``factory``; one instance per batch attempt."""

    def __init__(
        self,
        runs: Sequence[PlannedRun],
        scenarios: Mapping[str, Any],
        factory: RunnerFactory,
        *,
        folder: str | Path,
        concurrency: int,
        header: Mapping[str, Any] | None = None,
        listener: BatchListener | None = None,
        skipped: Iterable[PlannedRun] = (),
        writer_factory: Callable[[Path], TranscriptSink] = TranscriptWriter,
        retry: RetryPolicy | None = None,
        scenario_headers: Mapping[str, Mapping[str, Any]] | None = None,
        policy: RunPolicy | None = None,
        gate: Gate | None = None,
        message_events: bool = True,
    ) -> None:
        """``gate``: the outage gate to wait on when it is kept elsewhere (a worker process's
        view of its parent's); by default :meth:`run` makes one from ``retry``.
        ``message_events``: whether ``listener`` hears every message; a listener that reads
        ``RunStatus.messages`` at its own pace (a worker process's reports) only needs the
        starts and finishes, and spares every message a call."""
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        missing = sorted({run.scenario for run in runs} - set(scenarios))
        if missing:
            raise ValueError(f"no scenario object for {', '.join(missing)}")
        self.folder = Path(folder)
        self.concurrency = concurrency
        self.factory = factory
        self.scenarios = scenarios
        self.header = dict(header or {})
        self.listener = listener
        self.message_events = message_events
        self.writer_factory = writer_factory
        self.retry = retry
        """Pause-and-retry on an unreachable bot; None records such runs as errors at once."""
        self.retried = 0
        self._gate: OutageGate | None = None
        self._shared_gate = gate
        self.scenario_headers = dict(scenario_headers or {})
        """Added to the transcript header of each run of that scenario (e.g. its config hash)."""
        self.policy = policy
        self.statuses: dict[str, RunStatus] = {}
        self.counts = BatchCounts()
        for run in skipped:
            status = RunStatus(run, self.folder, RunState.SKIPPED)
            self.statuses[run.run_id] = status
            self.counts.skipped += 1
        self._queue: deque[RunStatus] = deque()
        for run in runs:
            status = RunStatus(run, self.folder)
            self.statuses[run.run_id] = status
            self._queue.append(status)
        self.counts.total = len(self.statuses)
        self.counts.pending = len(self._queue)
        self.started_at: float | None = None
        self.elapsed = 0.0
        self.workers: list[WorkerInfo] = []
        """Empty in one process; one entry per worker process or Ray actor otherwise."""
        self.limiter: BatchRateLimiter | None = None
        """The batch's rate limiter (set by the session): executors whose conversations run in
        other processes serve it to them; in one process the limiter's scope is enough."""

    @property
    def outages(self) -> int:
        """Times this attempt paused because the bot was unreachable."""
        return self._gate.outages if self._gate is not None else 0

    async def run(self) -> BatchCounts:
        """Run every queued conversation; on cancellation, stop the ones in flight and re-raise."""
        self.folder.mkdir(parents=True, exist_ok=True)
        ensure_open_files(min(self.concurrency, len(self._queue)) + 64)
        self.started_at = time.monotonic()
        self._gate = OutageGate(self.retry) if self.retry is not None else None
        workers = [
            asyncio.create_task(self._worker(), name=f"batch-worker-{i}")
            for i in range(min(self.concurrency, len(self._queue)))
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            # Cancelled (Ctrl-C, the dashboard's stop): gather has cancelled every worker
            # once; wait while their runners write "stopped" result lines, and never cancel
            # twice, which would cut those last writes short.
            pending = [task for task in workers if not task.done()]
            for task in pending:
                if not task.cancelling():
                    task.cancel()
            if pending:
                await asyncio.wait(pending)
            if self._gate is not None:
                await self._gate.close()
            self.elapsed = time.monotonic() - self.started_at
        return self.counts

    async def _worker(self) -> None:
        while (status := self._next_queued()) is not None:
            await self._run_one(status)

    def _next_queued(self) -> RunStatus | None:
        """The next queued run the run policy still wants (None: the queue is empty); the
        ones it no longer wants are left out on the way."""
        queue = self._queue
        while queue:
            status = queue.popleft()
            if self.policy is None or self.policy.wanted(status.run):
                return status
            self._leave_out(status)
        return None

    def _start(self, status: RunStatus, worker: int | None = None) -> None:
        """A queued run starts (here, or on worker process or actor ``worker``)."""
        counts = self.counts
        counts.pending -= 1
        counts.running += 1
        status.state = RunState.RUNNING
        status.started = time.monotonic()
        status.worker = worker
        self._notify(status)

    def _requeue(self, status: RunStatus) -> None:
        """A started run goes back to the front of the queue (its worker or actor died)."""
        self.counts.running -= 1
        self.counts.pending += 1
        status.state = RunState.PENDING
        status.messages = 0
        status.worker = None
        self._queue.appendleft(status)
        self._notify(status)

    def _leave_out(self, status: RunStatus) -> None:
        counts = self.counts
        counts.pending -= 1
        counts.total -= 1
        counts.not_run += 1
        status.state = RunState.NOT_RUN
        self._notify(status)

    def _add_runs(self, runs: Sequence[PlannedRun]) -> None:
        for run in runs:
            if run.run_id in self.statuses:
                continue
            status = RunStatus(run, self.folder)
            self.statuses[run.run_id] = status
            self._queue.append(status)
            self.counts.total += 1
            self.counts.pending += 1

    async def run_one(self, run: PlannedRun) -> RunStatus:
        """Run one more conversation now, outside the queue (a worker process's executor)."""
        status = RunStatus(run, self.folder)
        self.statuses[run.run_id] = status
        self.counts.total += 1
        self.counts.pending += 1
        try:
            await self._run_one(status)
        finally:
            del self.statuses[run.run_id]  # the parent keeps the batch's table, not the worker
        return status

    async def _run_one(self, status: RunStatus) -> None:
        gate: Gate | None = self._shared_gate or self._gate
        if gate is not None:
            await gate.wait_open()  # the bot is away: do not start what would fail
        run = status.run
        self._start(status)
        attempt = 0
        while True:
            may_hold = (
                self.retry is not None
                and attempt < self.retry.attempts
                and not (gate is not None and gate.given_up)
            )
            held = await self._attempt(status, may_hold=may_hold)
            if held is None:
                return
            attempt += 1
            self.retried += 1
            assert gate is not None
            gate.report_failure(held.error or "channel error")
            try:
                set_aside(status.path)
                await gate.wait_open()
            except asyncio.CancelledError:
                self._on_result(status, _stopped(run))
                raise
            except OSError:
                logger.warning("could not set %s aside before retrying it", status.path)
            status.messages = 0
            self._notify(status)

    async def _attempt(self, status: RunStatus, *, may_hold: bool) -> ConversationResult | None:
        """Run the conversation once; the result when it was held back for a retry."""
        run = status.run
        extra = {**self.header, "run_id": run.run_id, "scenario": run.scenario}
        extra["run_index"] = run.run_index
        extra["seed"] = run.seed
        if run.attempt:
            extra["attempt"] = run.attempt
        extra.update(self.scenario_headers.get(run.scenario, {}))
        sink = _BatchSink(self, self.writer_factory(status.path), status, extra, may_hold=may_hold)
        try:
            built = self.factory(self.scenarios[run.scenario], run, sink)
            runner = await built if inspect.isawaitable(built) else built
            await runner.run()
        except asyncio.CancelledError:
            if not sink.finished:  # cancelled before the runner could write "stopped"
                sink.finished = True
                self._on_result(status, _stopped(run))
            raise
        except Exception as exc:
            if isinstance(exc, ChannelError):  # the reason is the whole story: no traceback
                logger.warning("conversation %s could not run: %s", run.run_id, exc)
            else:
                logger.exception("conversation %s failed", run.run_id)
            if not sink.finished:
                await self._write_failure(sink, run, exc)
        else:
            if not sink.finished:  # a runner that returned without writing its result
                await self._write_failure(sink, run, RuntimeError("runner ended without a result"))
        if sink.held is not None:
            await sink.closed()
        return sink.held

    async def _write_failure(self, sink: _BatchSink, run: PlannedRun, exc: BaseException) -> None:
        reason = (
            TerminationReason.CHANNEL_ERROR
            if isinstance(exc, ChannelError)
            else TerminationReason.PARTICIPANT_ERROR
        )
        result = ConversationResult(
            conversation=Conversation(messages=()),
            termination_reason=reason,
            termination_detail="the conversation could not run",
            error=f"{type(exc).__name__}: {exc}",
            seed=run.seed,
        )
        try:
            if not sink.started:
                await sink.start({"runner": None, "seed": run.seed})
            sink.finish(result)
            await sink.closed()
        except Exception:
            logger.exception("could not record the failure of %s", run.run_id)
            if not sink.finished:
                sink.finished = True
                self._on_result(sink._status, result)

    def _on_result(
        self,
        status: RunStatus,
        result: ConversationResult,
        header: Mapping[str, Any] | None = None,
    ) -> None:
        self.counts.protocol_errors += len(result.protocol_errors)
        if result.termination_reason is TerminationReason.UNREADABLE_REPLIES:
            self.counts.unreadable += 1
        outcome = result.conversation.outcome
        self._finished(
            status,
            messages=len(result.conversation.messages) or status.messages,
            termination=result.termination_reason.value if result.termination_reason else None,
            error=result.error,
            outcome=outcome.name if outcome else None,
            notify=False,
        )
        if self.policy is not None and status.state is not RunState.STOPPED:
            try:
                self._add_runs(self.policy.finished(status.run, result, header or {}))
            except Exception:
                logger.exception("run policy failed after %s", status.run.run_id)
        self._notify(status)

    def _finished(
        self,
        status: RunStatus,
        *,
        messages: int,
        termination: str | None,
        error: str | None,
        outcome: str | None,
        notify: bool = True,
    ) -> None:
        """Count a finished run (here, or reported by a worker process or actor)."""
        counts = self.counts
        if status.state is RunState.RUNNING:
            counts.running -= 1
        status.finished = time.monotonic()
        status.messages = messages
        status.termination = termination
        status.error = error
        status.outcome = outcome
        if termination == TerminationReason.STOPPED.value:
            status.state = RunState.STOPPED
            counts.stopped += 1
        elif error is not None:
            status.state = RunState.ERROR
            counts.errors += 1
        else:
            status.state = RunState.DONE
            counts.done += 1
            counts.outcomes[outcome or NO_OUTCOME] += 1
        if notify:
            self._notify(status)

    def _notify(self, status: RunStatus) -> None:
        if self.listener is not None:
            try:
                self.listener(status)
            except Exception:
                logger.exception("batch listener failed")


def _stopped(run: PlannedRun) -> ConversationResult:
    return ConversationResult(
        conversation=Conversation(messages=()),
        termination_reason=TerminationReason.STOPPED,
        termination_detail="batch interrupted",
        seed=run.seed,
    )


def ensure_open_files(needed: int) -> None:
    """Raise the soft open-file limit when many transcripts are open at once (POSIX only)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        logger.warning("could not raise the open-file limit to %d (now %d)", target, soft)
