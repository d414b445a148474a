"""How a :class:`~tui.wiring.batch_job.BatchJob` spreads its conversations: one process,
worker processes (``--workers N``), or a Ray cluster (``--ray [ADDRESS]``).

A property of the job, not of one command: ``convsim batch``, ``convsim test`` and anything
else that runs a :class:`BatchJob` gets it (the flags: :mod:`tui.commands.scale_options`).
Worker processes and Ray actors rebuild the job's runners from a pickled copy of the job
(:class:`JobWorkerSetup`): the scenarios, the bot target and the LLM choice travel, open
channels do not (each worker opens its own, to the same bot; the demo bot the parent started
is shared by URL).
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import attrs

from convsim_core.batch.executor import BatchExecutor, RunnerFactory
from tui.wiring.errors import UserError

if TYPE_CHECKING:
    from tui.wiring.batch_job import BatchJob


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@attrs.frozen
class JobWorkerSetup:
    """What a worker process or Ray actor needs to build the job's runners (picklable)."""

    job: BatchJob

    @classmethod
    def of(cls, job: BatchJob) -> JobWorkerSetup:
        return cls(attrs.evolve(job, channels={}, profiles={}))

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[RunnerFactory]:
        job = self.job
        job.prepare_llm_cache()
        # The parent's demo bot (job.demo_url), if any; the parent asked the bot already.
        async with job.bot_channels(check=False):
            yield job.make_runner


def one_process_reason(job: BatchJob) -> str | None:
    """Why this batch must run in one process (None: it can use worker processes).

    A bot that answers on a fixed callback port: one process can listen on it, and the bot
    sends every answer there. Everything else spreads: each worker opens its own channels
    (callback servers on ports of their own), and the outage pause and rate limits are the
    parent's, shared by every worker.
    """
    if job.target is None or job.target.demo_bot:
        return None
    from channels.preflight import fixed_callback_port

    try:
        profiles = job.target.profiles(job.scenarios, None)
    except UserError:
        return None  # reported, in full, when the channels open
    for profile in profiles.values():
        address = fixed_callback_port(profile)
        if address is not None:
            host, port = address
            return (
                f"the bot's answers come to the fixed callback port {host}:{port}, where only"
                " one process can listen"
            )
    return None


def workers_for(job: BatchJob) -> int:
    """``--workers`` as given, else one per core; one process where the batch needs it
    (:func:`one_process_reason`).

    Raises:
        UserError: ``--workers N`` (N > 1) for a batch that must run in one process.
    """
    reason = one_process_reason(job) if job.workers != 1 else None
    if job.workers is not None:
        if reason is not None:
            raise UserError(
                f"--workers {job.workers}: {reason}: set [bot.callback] port = 0, or use"
                " --workers 1"
            )
        return job.workers
    return 1 if reason is not None else default_workers()


def backend_for(job: BatchJob) -> Callable[..., BatchExecutor]:
    """The executor for the job: one process, worker processes, or Ray actors."""
    if job.ray is not None:
        try:
            from convsim_core.batch.ray_backend import RayExecutor
        except ImportError as exc:
            raise UserError(
                f"--ray needs Ray: pip install 'convsim[ray]' ({exc.name or exc} is missing)"
            ) from exc
        return functools.partial(
            RayExecutor,
            setup=functools.partial(JobWorkerSetup.of, job),
            address=job.ray or None,
            actors=job.workers,
        )
    workers = workers_for(job)
    if workers <= 1:
        return BatchExecutor
    from convsim_core.batch.workers import WorkerPoolExecutor

    return functools.partial(
        WorkerPoolExecutor, setup=functools.partial(JobWorkerSetup.of, job), workers=workers
    )


def scale_settings(job: BatchJob) -> dict[str, Any]:
    """What the manifest records about how the batch was spread."""
    if job.ray is not None:
        return {"ray": job.ray or "default", "workers": job.workers}
    return {"workers": workers_for(job)}
