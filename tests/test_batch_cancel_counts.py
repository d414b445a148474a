"""The counts of a batch cancelled while its runners are still being built.

An async runner factory (a bot channel opening, a scenario loading) can be cancelled before
the runner exists; the counts must still add up: nothing left "running", the interrupted ones
"stopped", the ones never started still "pending", and a resume runs exactly those again.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from convsim_core.batch import BatchExecutor, BatchSession, PlannedRun, RunState, RunStatus
from convsim_core.batch.folder import transcript_files
from convsim_core.persistence import TranscriptSink
from tests.support.timeouts import TIMEOUT
from tests.test_batch_helpers import plan_of, scripted_factory


class StuckFactory:
    """Builds no runner until released: every call waits, as a slow bot connection would."""

    def __init__(self) -> None:
        self.waiting = 0
        self.all_waiting = asyncio.Event()
        self.release = asyncio.Event()
        self.expected = 0

    async def __call__(self, _scenario: Any, run: PlannedRun, transcript: TranscriptSink) -> Any:
        self.waiting += 1
        if self.waiting == self.expected:
            self.all_waiting.set()
        await self.release.wait()
        raise AssertionError("the batch was cancelled: no runner is ever built")


async def cancel_while_building(runner: Any, factory: StuckFactory) -> None:
    task = asyncio.create_task(runner.run())
    async with asyncio.timeout(TIMEOUT):
        await factory.all_waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_counts_after_cancelling_before_any_runner_starts(tmp_path: Path) -> None:
    plan = plan_of(["refund"], runs=5)
    factory = StuckFactory()
    factory.expected = 2
    seen: list[tuple[str, RunState]] = []
    executor = BatchExecutor(
        plan.planned_runs(),
        {"refund": None},
        factory,
        folder=tmp_path,
        concurrency=2,
        listener=lambda s: seen.append((s.run.run_id, s.state)),
    )
    await cancel_while_building(executor, factory)
    counts = executor.counts
    assert (counts.total, counts.pending, counts.running) == (5, 3, 0)
    assert (counts.stopped, counts.done, counts.errors, counts.skipped) == (2, 0, 0, 0)
    assert counts.finished == 0 and not counts.outcomes
    states = [status.state for status in executor.statuses.values()]
    assert states.count(RunState.STOPPED) == 2 and states.count(RunState.PENDING) == 3
    stopped = {run_id for run_id, state in seen if state is RunState.STOPPED}
    assert stopped == {"refund-0000", "refund-0001"}  # the two that had started building
    assert not list(transcript_files(tmp_path))  # no runner, so no transcript was begun


async def test_a_session_cancelled_before_start_resumes_every_run(tmp_path: Path) -> None:
    plan = plan_of(["refund"], runs=4)
    factory = StuckFactory()
    factory.expected = 2
    session = BatchSession(plan, {"refund": None}, factory, folder=tmp_path, concurrency=2)
    await cancel_while_building(session, factory)
    total = json.loads((tmp_path / "summary.json").read_text())["total"]
    # No transcript was begun: nothing is "unfinished", all four are missing.
    assert (total["runs"], total["planned"], total["unfinished"], total["missing"]) == (0, 4, 0, 4)
    resumed = BatchSession(
        plan, {"refund": None}, scripted_factory(), folder=tmp_path, concurrency=2, resume=True
    )
    assert not resumed.resume_state.done
    assert len(resumed.resume_state.todo) == 4
    finished: list[RunStatus] = []
    resumed.executor.listener = lambda s: finished.append(s) if s.state is RunState.DONE else None
    await resumed.run()
    counts = resumed.executor.counts
    assert (counts.done, counts.stopped, counts.pending, counts.running) == (4, 0, 0, 0)
    assert len(finished) == 4
