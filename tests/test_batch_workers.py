"""``--workers N``: worker processes, one work queue, shared limits, nothing lost on a crash."""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from convsim_core.batch import BatchPlan, BatchSession, RunState, RunStatus, ScenarioEntry
from convsim_core.batch.folder import TranscriptState, transcript_state
from convsim_core.batch.limits import RateLimits
from convsim_core.batch.records import collect
from convsim_core.batch.spread import WorkerError, split
from convsim_core.batch.workers import WorkerPoolExecutor
from convsim_core.persistence import read_transcript
from convsim_core.scenario import load_scenario
from tests.support.openai_server import OpenAIServer, isolated_llm
from tests.support.sleepy import BrokenSetup, SleepySetup, sleepy_factory
from tests.support.timeouts import MS, TIMEOUT
from tui.batch_dashboard import REFRESH_SECONDS
from tui.cli import main
from tui.wiring.batch_job import BatchJob

DEMO = Path(__file__).parents[1] / "convsim_core" / "builtin_scenarios" / "demo.toml"


def _conversations(folder: Path) -> dict[str, Any]:
    """Per transcript: what was said and how it ended (timestamps and durations differ)."""
    found: dict[str, Any] = {}
    for path in sorted(folder.glob("demo-*.jsonl")):
        transcript = read_transcript(path)
        assert transcript.result is not None, path
        result = transcript.result
        found[path.name] = (
            [(m.sender.value, m.content) for m in transcript.messages],
            result.conversation.outcome.name if result.conversation.outcome else None,
            result.termination_reason,
            result.seed,
            transcript.header["batch"]["seed"],
        )
    return found


def test_split_shares_concurrency() -> None:
    assert split(10, 3) == [4, 3, 3]
    assert split(2, 2) == [1, 1]


def test_two_workers_give_the_same_conversations_as_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    common = ["batch", "demo", "--runs", "12", "-c", "4", "--offline", "--headless"]
    assert main([*common, "--workers", "1", "--out", str(one)]) == 0
    assert main([*common, "--workers", "2", "--out", str(two)]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("demo: resolved 12 (100%)") == 2
    # The progress line shows each worker's share (the last one: all finished, none running).
    last = [line for line in captured.err.splitlines() if line.startswith("[")][-1]
    assert re.search(r"w0 running 0 done \d+, w1 running 0 done \d+", last), last
    done = [int(n) for n in re.findall(r"w\d running 0 done (\d+)", last)]
    assert sum(done) == 12
    first, second = _conversations(one), _conversations(two)
    assert len(first) == 12 and first == second
    manifest = json.loads((two / "batch.json").read_text())
    assert manifest["settings"]["workers"] == 2
    assert json.loads((two / "summary.json").read_text())["total"]["runs"] == 12


def _set_aside(folder: Path) -> int:
    return len(list(folder.glob("*.partial-*.jsonl")))


def _pool_session(folder: Path, runs: int, **kwargs: Any) -> BatchSession:
    plan = BatchPlan((ScenarioEntry("demo", "sleepy", 3),), runs)
    setup = SleepySetup(latency=20 * MS, messages=10)
    backend = functools.partial(WorkerPoolExecutor, setup=lambda: setup, workers=2, **kwargs)
    return BatchSession(
        plan,
        {"demo": None},
        sleepy_factory(0.0),
        folder=folder,
        concurrency=6,
        backend=backend,
    )


async def test_a_worker_killed_mid_batch_loses_nothing(tmp_path: Path) -> None:
    session = _pool_session(tmp_path, 30)
    executor = session.executor
    assert isinstance(executor, WorkerPoolExecutor)
    killed: list[int] = []

    def listener(status: RunStatus) -> None:
        # Kill worker 0 outright while it has conversations mid-way (after a few finished).
        if killed or executor.counts.done < 4 or status.state is not RunState.RUNNING:
            return
        if status.worker == 0 and status.messages >= 3 and executor.workers[0].pid:
            killed.append(executor.workers[0].pid)
            os.kill(executor.workers[0].pid, signal.SIGKILL)

    executor.listener = listener
    summary = await session.run()
    assert killed, "the worker was never killed"
    assert executor.counts.done == 30 and executor.counts.running == 0
    assert executor.workers[0].restarts == 1
    planned = {run.run_id for run in session.plan.planned_runs()}
    records = collect([tmp_path]).records
    assert sorted(r.run_id for r in records) == sorted(planned)  # each exactly once
    assert all(r.finished and r.messages == 10 for r in records)
    assert summary.total.runs == 30
    for run_id in planned:
        assert transcript_state(tmp_path / f"{run_id}.jsonl") is TranscriptState.COMPLETE
    # What the killed worker had in flight ran again (its partial transcripts set aside), or,
    # when it had written the result line just before dying, counted from its transcript.
    assert executor.requeued + executor.recovered >= 1
    assert _set_aside(tmp_path) <= executor.requeued


async def test_stopping_a_worker_batch_records_stopped_runs_and_resumes(tmp_path: Path) -> None:
    import asyncio

    session = _pool_session(tmp_path, 24)
    executor = session.executor
    some_done = asyncio.Event()

    def listener(_status: RunStatus) -> None:
        if executor.counts.done >= 3:
            some_done.set()

    executor.listener = listener
    task = asyncio.create_task(session.run())
    await asyncio.wait_for(some_done.wait(), 12 * TIMEOUT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    counts = executor.counts
    assert counts.running == 0 and counts.stopped >= 1
    assert counts.done + counts.stopped + counts.pending == 24
    assert not any(w.alive for w in executor.workers)
    resumed = BatchSession(
        session.plan,
        {"demo": None},
        sleepy_factory(0.0),
        folder=tmp_path,
        concurrency=6,
        resume=True,
        backend=functools.partial(
            WorkerPoolExecutor, setup=lambda: SleepySetup(latency=0.0), workers=2
        ),
    )
    assert len(resumed.resume_state.done) == counts.done
    summary = await resumed.run()
    assert summary.total.runs == 24 and resumed.executor.counts.done == 24 - counts.done


async def test_a_rate_limit_holds_across_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers share one requests-per-minute budget, counted by the server."""
    stamps: list[float] = []

    def responder(_request: dict[str, Any]) -> str:
        stamps.append(time.monotonic())
        return "Thanks, let me look into that for you right away."

    scenario_file = tmp_path / "short.toml"
    scenario_file.write_text(re.sub(r"max_messages = \d+", "max_messages = 6", DEMO.read_text()))
    with isolated_llm(monkeypatch, None):
        async with OpenAIServer(responder=responder) as server:
            monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
            scenario = load_scenario(scenario_file)
            plan = BatchPlan((ScenarioEntry("short", str(scenario_file), 5),), 8)
            rate = 10.0  # per second; the bucket holds one second of it
            job = BatchJob(
                plan,
                {"short": scenario},
                tmp_path / "out",
                concurrency=8,
                resume=False,
                limits=RateLimits(requests_per_minute=rate * 60),
                use_llm=True,
                workers=2,
            )
            session = job.session()
            assert isinstance(session.executor, WorkerPoolExecutor)
            summary = await job.execute(session)
    assert summary.total.runs == 8 and session.executor.counts.errors == 0
    assert len({w.pid for w in session.executor.workers}) == 2
    assert all(w.finished for w in session.executor.workers)
    calls = len(stamps)
    assert calls >= 8 * 5
    # Shared: at most the burst plus the rate over any window, give or take network jitter
    # (two separate budgets of the same size would allow twice as many).
    for i, start in enumerate(stamps):
        for j in range(i, len(stamps)):
            window = stamps[j] - start
            assert j - i + 1 <= 1.2 * rate * (1 + window) + 2, (i, j, window)
    assert stamps[-1] - stamps[0] >= (calls - rate) / rate * 0.9


def test_workers_flag_is_checked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["batch", "demo", "--workers", "0", "--out", str(tmp_path / "x")])
    assert exited.value.code == 2
    assert "--workers must be at least 1, got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["batch", "demo", "--workers", "nan", "--out", str(tmp_path / "x")])
    assert "--workers must be a whole number, got 'nan'" in capsys.readouterr().err


async def test_workers_that_cannot_set_up_fail_the_batch_in_one_line(tmp_path: Path) -> None:
    plan = BatchPlan((ScenarioEntry("demo", "sleepy", 3),), 4)
    session = BatchSession(
        plan,
        {"demo": None},
        sleepy_factory(0.0),
        folder=tmp_path,
        concurrency=4,
        backend=functools.partial(
            WorkerPoolExecutor, setup=lambda: BrokenSetup("no bot at ws://nowhere"), workers=2
        ),
    )
    with pytest.raises(WorkerError, match="RuntimeError: no bot at ws://nowhere"):
        await session.run()
    assert session.summary is not None and session.summary.total.runs == 0
    assert not any(w.alive for w in session.executor.workers)


async def test_the_dashboard_shows_each_workers_conversations_live(tmp_path: Path) -> None:
    from textual.widgets import DataTable, Static

    from tui.batch_dashboard import COLUMNS, BatchDashboard
    from tui.testing import wait_until

    session = _pool_session(tmp_path, 12)
    app = BatchDashboard(session, session.run)
    async with app.run_test(size=(150, 30)) as pilot:
        # Mid-batch, the counts line shows both workers with conversations running.
        counts = app.query_one("#counts", Static)
        both = re.compile(r"w0 running [1-9]\d* done \d+, w1 running [1-9]\d* done \d+")
        await wait_until(
            pilot, lambda: bool(both.search(str(counts.render()))), within=12 * TIMEOUT
        )
        await wait_until(pilot, lambda: session.summary is not None, within=12 * TIMEOUT)
        await pilot.pause(REFRESH_SECONDS + 150 * MS)  # one refresh tick after the end
        table = app.query_one(DataTable)
        status = COLUMNS.index("status")
        assert {table.get_row(key)[status] for key in table.rows} == {"done"}
        assert "12/12" in str(app.query_one("#counts", Static).render())
        await pilot.press("q")
    assert app.return_value == 0
