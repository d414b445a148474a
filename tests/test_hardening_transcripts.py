"""Item 8 of issue 16: every message is on disk the moment it is reported, in every mode.

Offline conversations never wait, so lines used to sit in memory until the conversation ended
and a kill left empty files. Here the batch listener, called on every message, reads the
transcript from disk and finds the header and every message so far already there.
"""

from __future__ import annotations

from pathlib import Path

from convsim_core.batch import BatchSession, PlannedRun, RunStatus
from convsim_core.batch.plan import BatchPlan, ScenarioEntry
from convsim_core.builder import build_full_runner
from convsim_core.persistence import TranscriptSink, read_transcript
from convsim_core.runners.base import Runner
from convsim_core.scenario import builtin_scenario


def lines_on_disk(path: Path) -> int:
    try:
        return sum(1 for line in path.read_text().splitlines() if line.strip())
    except FileNotFoundError:
        return 0


async def test_offline_batch_transcripts_are_written_as_they_happen(tmp_path: Path) -> None:
    scenario = builtin_scenario("demo")
    plan = BatchPlan((ScenarioEntry("demo", "builtin:demo", 1),), runs=6)
    observed: list[tuple[int, int]] = []

    def listener(status: RunStatus) -> None:
        if status.messages and status.state.value == "running":
            observed.append((status.messages, lines_on_disk(status.path)))

    def factory(sc: object, run: PlannedRun, transcript: TranscriptSink) -> Runner:
        return build_full_runner(scenario, seed=run.seed, transcript=transcript, use_llm=False)

    session = BatchSession(
        plan, {"demo": scenario}, factory, folder=tmp_path, concurrency=3, listener=listener
    )
    summary = await session.run()
    assert summary is not None
    assert len(observed) > 30
    # header + every message so far, at the moment each message was reported
    assert all(on_disk == messages + 1 for messages, on_disk in observed), observed[:10]
    for run in plan.planned_runs():
        transcript = read_transcript(tmp_path / run.file_name)
        assert transcript.result is not None
        assert len(transcript.messages) == len(transcript.result.conversation.messages)
