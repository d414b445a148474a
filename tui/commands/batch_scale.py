"""``--workers N`` and ``--ray [ADDRESS]``: how a batch (``convsim batch``, ``convsim test``)
spreads its conversations over the cores of this machine or a Ray cluster.

The options belong to the batch job, not to one command: any command that builds a
:class:`~tui.commands.batch.BatchJob` and adds :func:`add_scale_options` gets them. Worker
processes and Ray actors rebuild the job's runners from a pickled copy of the job
(:class:`JobWorkerSetup`): the scenarios, the bot target and the LLM choice travel, open
channels do not (each worker opens its own, to the same bot).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import attrs

from convsim_core.batch.executor import BatchExecutor, RunnerFactory
from tui.cli import UserError

if TYPE_CHECKING:
    from tui.commands.batch import BatchJob

RAY_DEFAULT_ADDRESS = ""
"""``--ray`` without an address: ``RAY_ADDRESS``, a cluster on this machine, or a new local one."""


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def add_scale_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("scale (more than one core or machine)")
    group.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="worker processes, each running its share of --concurrency (default: the number "
        "of cores; 1: all in this process); with --ray: the number of Ray actors "
        "(default: the cluster's CPUs)",
    )
    group.add_argument(
        "--ray",
        nargs="?",
        const=RAY_DEFAULT_ADDRESS,
        metavar="ADDRESS",
        help="run the conversations on a Ray cluster (pip install 'convsim[ray]'): ADDRESS "
        "as ray.init takes it (auto, ray://HEAD:10001); without one, RAY_ADDRESS or a "
        "local cluster. Transcripts still land in --out on this machine",
    )


@attrs.frozen
class JobWorkerSetup:
    """What a worker process or Ray actor needs to build the job's runners (picklable)."""

    job: BatchJob

    @classmethod
    def of(cls, job: BatchJob) -> JobWorkerSetup:
        return cls(attrs.evolve(job, channels={}))

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[RunnerFactory]:
        job = self.job
        job.prepare_llm_cache()
        async with job.bot_channels():  # the parent's demo bot (job.demo_url), if any
            yield job.make_runner


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
    workers = job.workers or default_workers()
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
    return {"workers": job.workers or default_workers()}
