"""The batch executor and sessions: concurrency, transcripts, errors, resume after interruption."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from convsim_core.batch import (
    BatchExecutor,
    BatchFolderError,
    BatchPlan,
    BatchSession,
    PlannedRun,
    RunState,
    RunStatus,
    ScenarioEntry,
    TranscriptState,
    collect,
    load_run_spec,
    read_manifest,
    summarize,
    transcript_state,
)
from convsim_core.batch.folder import transcript_files
from convsim_core.models import TerminationReason
from convsim_core.persistence import TranscriptSink, read_transcript
from tests.support.timeouts import MS, TIMEOUT
from tests.test_batch_helpers import Speaker, plan_of, scripted_factory

REPO = Path(__file__).resolve().parents[1]


async def test_batch_runs_every_conversation_at_most_c_at_once(tmp_path: Path) -> None:
    Speaker.live = Speaker.peak = 0
    plan = plan_of(["refund", "cancel", "upgrade"], runs=5)
    seen: list[tuple[str, str]] = []
    session = BatchSession(
        plan,
        dict.fromkeys(["refund", "cancel", "upgrade"]),
        scripted_factory(delay=20 * MS),
        folder=tmp_path,
        concurrency=4,
        listener=lambda s: seen.append((s.run.run_id, s.state.value)),
    )
    summary = await session.run()
    assert Speaker.peak == 4  # the limit was reached and never exceeded
    files = sorted(p.name for p in transcript_files(tmp_path))
    assert files == sorted(f"{r.run_id}.jsonl" for r in plan.planned_runs())
    for run in plan.planned_runs():
        transcript = read_transcript(tmp_path / run.file_name)
        assert transcript.result is not None
        assert transcript.header["batch"]["run_id"] == run.run_id
        assert transcript.header["batch"]["seed"] == run.seed == transcript.result.seed
        assert transcript.header["batch"]["batch_id"] == plan.batch_id
        assert [m.content for m in transcript.messages][-1] == "It has been refunded. Goodbye!"
    assert summary.total.runs == 15
    assert summary.total.outcomes == {"resolved": 15}
    assert {state for _, state in seen} >= {"running", "done"}
    counts = session.executor.counts
    assert (counts.done, counts.errors, counts.running, counts.pending) == (15, 0, 0, 0)
    assert (tmp_path / "summary.json").is_file() and (tmp_path / "summary.csv").is_file()
    manifest = json.loads((tmp_path / "batch.json").read_text())
    assert manifest["runs"] == 5 and manifest["settings"]["concurrency"] == 4
    assert [p["id"] for p in manifest["planned"]] == [r.run_id for r in plan.planned_runs()]


async def test_a_failing_factory_or_runner_is_recorded_as_an_error(tmp_path: Path) -> None:
    plan = plan_of(["refund"], runs=4)
    good = scripted_factory()

    def factory(scenario: Any, run: PlannedRun, transcript: TranscriptSink) -> Any:
        if run.run_index == 1:
            raise RuntimeError("could not build")
        return good(scenario, run, transcript)

    session = BatchSession(plan, {"refund": None}, factory, folder=tmp_path, concurrency=2)
    summary = await session.run()
    failed = read_transcript(tmp_path / "refund-0001.jsonl")
    assert failed.result is not None
    assert failed.result.error == "RuntimeError: could not build"
    assert failed.result.termination_reason is TerminationReason.PARTICIPANT_ERROR
    row = summary.scenarios[0]
    assert (row.runs, row.errors, row.error_runs) == (4, 1, ("refund-0001",))
    assert row.outcomes == {"resolved": 3}
    assert session.executor.statuses["refund-0001"].state is RunState.ERROR


async def test_real_scenarios_run_offline_and_can_be_rerun_exactly(tmp_path: Path) -> None:
    from convsim_core.builder import build_full_runner
    from convsim_core.scenario import builtin_scenario, load_scenario

    scenario_file = tmp_path / "scripted.toml"
    scenario_file.write_text(
        """
title = "Scripted refund"
seed = 3
initial_message = "Hi, I was charged twice."
[customer]
kind = "scripted"
turns = ["dana@example.com", "Thanks, bye!"]
[agent]
kind = "scripted"
turns = ["What's your email?", "The duplicate has been refunded."]
[[outcomes]]
name = "resolved"
description = "Refunded."
keywords = ["has been refunded"]
""",
        encoding="utf-8",
    )
    scenarios = {"demo": builtin_scenario("demo"), "scripted": load_scenario(scenario_file)}
    plan = BatchPlan(
        (
            ScenarioEntry("demo", "builtin:demo", scenarios["demo"].seed),
            ScenarioEntry("scripted", str(scenario_file), 3),
        ),
        runs=6,
    )

    def factory(scenario: Any, run: PlannedRun, transcript: TranscriptSink) -> Any:
        return build_full_runner(scenario, seed=run.seed, transcript=transcript, use_llm=False)

    out = tmp_path / "out"
    summary = await BatchSession(plan, scenarios, factory, folder=out, concurrency=3).run()
    assert [s.scenario for s in summary.scenarios] == ["demo", "scripted"]
    assert summary.scenario("scripted").outcomes == {"resolved": 6}  # type: ignore[union-attr]
    assert summary.total.runs == 12 and summary.total.errors == 0
    # Offline demo runs differ by seed: the batch really varies them.
    demo_texts = {
        tuple(m.content for m in read_transcript(out / f"demo-{i:04d}.jsonl").messages)
        for i in range(6)
    }
    assert len(demo_texts) > 1

    # Any single conversation can be re-run exactly from the folder, even if the original
    # scenario file has changed since (the batch keeps a copy).
    scenario_file.write_text("broken = [", encoding="utf-8")
    for run_id in ("demo-0004", "scripted-0002"):
        scenario, seed = load_run_spec(out, run_id)
        original = read_transcript(out / f"{run_id}.jsonl")
        assert seed == original.header["batch"]["seed"]
        rerun = await build_full_runner(scenario, seed=seed, use_llm=False).run()
        assert [m.content for m in rerun.conversation.messages] == [
            m.content for m in original.messages
        ]
    with pytest.raises(BatchFolderError, match="no conversation"):
        load_run_spec(out, "demo-0099")


async def test_cancelled_batch_resumes_running_only_what_is_missing(tmp_path: Path) -> None:
    plan = plan_of(["a", "b"], runs=6)
    scenarios = {"a": None, "b": None}
    midway = asyncio.Event()

    def listener(status: RunStatus) -> None:
        # Four finished and another one halfway through its conversation.
        running = status.state is RunState.RUNNING and status.messages == 2  # of 4
        if running and session.executor.counts.done >= 4:
            midway.set()

    session = BatchSession(
        plan,
        scenarios,
        scripted_factory(delay=50 * MS),
        folder=tmp_path,
        concurrency=3,
        listener=listener,
    )
    task = asyncio.create_task(session.run())
    async with asyncio.timeout(TIMEOUT):
        await midway.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    first = {r.run_id for r in plan.planned_runs() if (tmp_path / r.file_name).exists()}
    states = {transcript_state(tmp_path / f"{run_id}.jsonl") for run_id in first}
    assert TranscriptState.STOPPED in states  # in-flight conversations were stopped
    done_before = {
        run_id
        for run_id in first
        if transcript_state(tmp_path / f"{run_id}.jsonl") is TranscriptState.COMPLETE
    }
    interrupted = json.loads((tmp_path / "summary.json").read_text())
    assert interrupted["total"]["unfinished"] >= 1

    with pytest.raises(BatchFolderError, match="--resume"):
        BatchSession(plan, scenarios, scripted_factory(), folder=tmp_path, concurrency=3)
    resumed = BatchSession(
        plan, scenarios, scripted_factory(), folder=tmp_path, concurrency=3, resume=True
    )
    assert {r.run_id for r in resumed.resume_state.done} == done_before
    assert len(resumed.resume_state.set_aside) == len(first) - len(done_before)
    modified = {r: (tmp_path / f"{r}.jsonl").stat().st_mtime_ns for r in done_before}
    summary = await resumed.run()
    _assert_each_run_once(tmp_path, plan.planned_runs())
    assert all((tmp_path / f"{r}.jsonl").stat().st_mtime_ns == t for r, t in modified.items())
    assert summary.total.runs == 12 and summary.total.unfinished == 0
    assert len(read_manifest(tmp_path).attempts) == 2


KILLED_BATCH = """
import asyncio, sys
from convsim_core.batch import BatchSession
from tests.support.timeouts import MS
from tests.test_batch_helpers import plan_of, scripted_factory

def listener(status):
    if status.state.value == "done":
        print("done", status.run.run_id, flush=True)

session = BatchSession(
    plan_of(["a", "b"], runs=8), {"a": None, "b": None}, scripted_factory(delay=100 * MS),
    folder=sys.argv[1], concurrency=4, listener=listener,
)
asyncio.run(session.run())
"""


async def test_batch_killed_mid_run_resumes_and_keeps_partial_transcripts(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        KILLED_BATCH,
        str(folder),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert process.stdout is not None
        finished = 0
        async with asyncio.timeout(TIMEOUT * 4):
            while finished < 5:
                line = await process.stdout.readline()
                assert line, "the batch process ended early"
                finished += line.startswith(b"done")
        await asyncio.sleep(150 * MS)  # let the next conversations write a few lines
    finally:
        process.send_signal(signal.SIGKILL)  # no chance to clean up: like a power cut
        await process.wait()
    plan = plan_of(["a", "b"], runs=8)
    partial = [
        r.run_id
        for r in plan.planned_runs()
        if transcript_state(folder / r.file_name) is TranscriptState.PARTIAL
    ]
    assert partial, "a killed batch leaves transcripts without a result line"
    resumed = BatchSession(
        plan, {"a": None, "b": None}, scripted_factory(), folder=folder, concurrency=4, resume=True
    )
    assert len(resumed.resume_state.done) >= 5
    assert {p.name for p in resumed.resume_state.set_aside} == {
        f"{run_id}.partial-1.jsonl" for run_id in partial
    }
    summary = await resumed.run()
    _assert_each_run_once(folder, plan.planned_runs())
    assert summary.total.runs == 16 and summary.total.unfinished == 0
    # The set-aside transcripts are kept for inspection but never counted.
    assert all((folder / f"{run_id}.partial-1.jsonl").is_file() for run_id in partial)
    records = collect([folder]).records
    assert sorted(r.run_id for r in records) == sorted(r.run_id for r in plan.planned_runs())


def _assert_each_run_once(folder: Path, runs: tuple[PlannedRun, ...]) -> None:
    finished = [p for p in transcript_files(folder)]
    assert sorted(p.name for p in finished) == sorted(r.file_name for r in runs)
    for path in finished:
        assert transcript_state(path) is TranscriptState.COMPLETE, path.name
    summary = summarize(collect([folder]))
    assert summary.total.runs == len(runs)


async def test_resuming_a_different_batch_is_refused(tmp_path: Path) -> None:
    await BatchSession(
        plan_of(["a"], 2), {"a": None}, scripted_factory(), folder=tmp_path, concurrency=1
    ).run()
    with pytest.raises(BatchFolderError, match="different batch"):
        BatchSession(
            plan_of(["a"], 3),
            {"a": None},
            scripted_factory(),
            folder=tmp_path,
            concurrency=1,
            resume=True,
        )


def test_executor_checks_its_arguments(tmp_path: Path) -> None:
    runs = plan_of(["a"], 1).planned_runs()
    with pytest.raises(ValueError, match="concurrency"):
        BatchExecutor(runs, {"a": None}, scripted_factory(), folder=tmp_path, concurrency=0)
    with pytest.raises(ValueError, match="no scenario object"):
        BatchExecutor(runs, {}, scripted_factory(), folder=tmp_path, concurrency=1)
