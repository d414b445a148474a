"""What the executors that run conversations elsewhere share: worker processes
(:mod:`convsim_core.batch.workers`) and Ray actors (:mod:`convsim_core.batch.ray_backend`).

Both keep the batch's queue, counts and live table in the parent (the driver), rebuild the
runners on the other side from a picklable :class:`WorkerSetup`, and split ``--concurrency``
between their workers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from convsim_core.batch.executor import BatchExecutor, RunnerFactory
from convsim_core.batch.plan import PlannedRun
from convsim_core.batch.status import WorkerInfo


class WorkerSetup(Protocol):
    """How a worker builds its conversations' runners; pickled into every worker process."""

    def open(self) -> AbstractAsyncContextManager[RunnerFactory]:
        """Open what the runners need (bot channels, LLM cache) for the worker's lifetime."""
        ...


class WorkerError(RuntimeError):
    """The workers could not run the batch (they failed to start, or kept dying)."""


def split(concurrency: int, workers: int) -> list[int]:
    """Each worker's share of the batch's concurrency (the first ones take the remainder)."""
    base, extra = divmod(concurrency, workers)
    return [base + (1 if i < extra else 0) for i in range(workers)]


class SpreadExecutor(BatchExecutor):
    """A :class:`BatchExecutor` whose conversations run in other processes or machines."""

    def __init__(
        self,
        runs: Sequence[PlannedRun],
        scenarios: Mapping[str, Any],
        factory: RunnerFactory,
        *,
        setup: Callable[[], WorkerSetup],
        **kwargs: Any,
    ) -> None:
        super().__init__(runs, scenarios, factory, **kwargs)
        self.setup = setup
        self.ready_at: float | None = None
        """When the first workers were all up (start-up is everything before)."""

    def _spread(self, count: int) -> None:
        """``count`` workers, each with its share of the concurrency, for the live views."""
        self.workers[:] = [WorkerInfo(i, c) for i, c in enumerate(split(self.concurrency, count))]
