"""One attempt at a batch folder: check the folder, record the manifest, resume, run, summarise."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from convsim_core.batch.confighash import batch_config, describe_change, scenario_config_headers
from convsim_core.batch.executor import BatchExecutor, BatchListener, RunnerFactory, RunPolicy
from convsim_core.batch.folder import ResumeState, prepare_resume
from convsim_core.batch.lock import BatchLock
from convsim_core.batch.manifest import (
    BatchFolderError,
    BatchManifest,
    copy_scenario_files,
    has_manifest,
    read_manifest,
    write_manifest,
)
from convsim_core.batch.plan import BatchPlan, PlannedRun, interleave
from convsim_core.batch.retry import RESUME_RETRYABLE
from convsim_core.batch.summary import BatchSummary, summarize_folder
from convsim_core.scenario_models import Scenario

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from convsim_core.batch.ratelimit import BatchRateLimiter


class BatchSession:
    """Prepares ``folder`` on construction (synchronous file work, before the loop is busy)."""

    def __init__(
        self,
        plan: BatchPlan,
        scenarios: Mapping[str, Any],
        factory: RunnerFactory,
        *,
        folder: str | Path,
        concurrency: int,
        resume: bool = False,
        mode: str = "full",
        settings: Mapping[str, Any] | None = None,
        listener: BatchListener | None = None,
        retry_errors: bool = False,
        policy: RunPolicy | None = None,
        extra_runs: Callable[[BatchSession], Sequence[PlannedRun]] | None = None,
    ) -> None:
        self.plan = plan
        self.retry_errors = retry_errors
        self._policy = policy
        """Which queued runs start and which are added (``convsim test``); None: the plan."""
        self._extra_runs = extra_runs
        self.folder = Path(folder)
        self.lock = BatchLock(self.folder)
        if has_manifest(self.folder) and not resume:
            raise BatchFolderError(
                f"{self.folder} already holds a batch; pass --resume to finish it"
                " or choose another --out folder"
            )
        self.lock.acquire()  # before anything looks at or moves the transcripts
        try:
            self._prepare(plan, scenarios, factory, concurrency, resume, mode, settings, listener)
        except BaseException:
            self.lock.release()
            raise
        self.summary: BatchSummary | None = None

    def _prepare(
        self,
        plan: BatchPlan,
        scenarios: Mapping[str, Any],
        factory: RunnerFactory,
        concurrency: int,
        resume: bool,
        mode: str,
        settings: Mapping[str, Any] | None,
        listener: BatchListener | None,
    ) -> None:
        settings = {"concurrency": concurrency, **(settings or {})}
        if "config" not in settings and all(isinstance(s, Scenario) for s in scenarios.values()):
            settings["config"] = batch_config(
                scenarios, target=settings.get("bot"), use_llm=settings.get("use_llm")
            )
        if has_manifest(self.folder):
            if not resume:
                raise BatchFolderError(
                    f"{self.folder} already holds a batch; pass --resume to finish it"
                    " or choose another --out folder"
                )
            manifest = read_manifest(self.folder)
            _check_same_batch(manifest, plan, self.folder)
            _check_same_config(manifest, settings, self.folder)
            manifest = manifest.with_attempt(resumed=True, **settings)
        else:
            manifest = BatchManifest(plan=plan, mode=mode, settings=settings)
            manifest = manifest.with_attempt(resumed=False, **settings)
        self.folder.mkdir(parents=True, exist_ok=True)
        copies = {**manifest.copies, **copy_scenario_files(self.folder, plan)}
        self.manifest = BatchManifest(
            plan=manifest.plan,
            mode=manifest.mode,
            settings=manifest.settings,
            created_at=manifest.created_at,
            attempts=manifest.attempts,
            copies=copies,
        )
        write_manifest(self.folder, self.manifest)
        retry = RESUME_RETRYABLE if self.retry_errors else frozenset()
        self.resume_state: ResumeState = prepare_resume(
            self.folder, plan.planned_runs(), retry=retry
        )
        header = {"batch_id": plan.batch_id, "shard": str(plan.shard) if plan.shard else None}
        todo = interleave(self.resume_state.todo)
        if self._extra_runs is not None:  # e.g. retries an earlier attempt still owes
            todo = [*self._extra_runs(self), *todo]
        self.executor = BatchExecutor(
            todo,
            scenarios,
            factory,
            folder=self.folder,
            concurrency=concurrency,
            header=header,
            listener=listener,
            skipped=self.resume_state.done,
            scenario_headers=scenario_config_headers(settings),
            policy=self._policy,
        )

    async def run(self, *, limiter: BatchRateLimiter | None = None) -> BatchSummary:
        """Run what is left; the summary is written even when the batch is interrupted."""
        try:
            if limiter is None:
                await self.executor.run()
            else:
                # Imported here: the limiter is LangChain machinery, loaded only when used.
                from convsim_core.batch.ratelimit import rate_limit_scope

                with rate_limit_scope(limiter):
                    await self.executor.run()
        finally:
            try:
                self.summary = summarize_folder(self.folder)
            finally:
                self.lock.release()
        return self.summary

    def close(self) -> None:
        """Let go of the folder without running (the lock is also dropped at process exit)."""
        self.lock.release()


def _check_same_batch(manifest: BatchManifest, plan: BatchPlan, folder: Path) -> None:
    if manifest.plan.batch_id != plan.batch_id:
        raise BatchFolderError(
            f"{folder} holds a different batch (scenarios, seeds or --runs differ); "
            "resume it with the same arguments or choose another --out folder"
        )
    if manifest.plan.shard != plan.shard:
        raise BatchFolderError(
            f"{folder} holds shard {manifest.plan.shard or 'none'}, not {plan.shard or 'none'}"
        )


def _check_same_config(manifest: BatchManifest, settings: Mapping[str, Any], folder: Path) -> None:
    """Never mix results of a changed configuration into one batch (one line naming the change)."""
    change = describe_change(manifest.settings.get("config"), settings.get("config"))
    if change is not None:
        raise BatchFolderError(
            f"{folder} was run with a different configuration ({change}); resume with the"
            " same configuration or choose another --out folder"
        )
