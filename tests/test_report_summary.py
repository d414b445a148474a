"""Summaries computed from transcripts on disk: numbers, CSV/JSON files, shard merging."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from convsim_core.batch import (
    BatchManifest,
    ShardSpec,
    collect,
    format_table,
    summarize,
    summarize_folder,
)
from convsim_core.batch.manifest import write_manifest
from convsim_core.batch.summary import csv_text
from convsim_core.models import TerminationReason, Usage
from tests.test_batch_helpers import plan_of, write_transcript


async def _refund_folder(folder: Path) -> None:
    """Eight refund conversations and three cancel ones with hand-picked figures."""
    usage = Usage(llm_calls=3, prompt_tokens=100, completion_tokens=20, cache_hits=1)
    specs = [
        ("resolved", 4, 2.0, None, TerminationReason.CLOSING_PHRASE),
        ("resolved", 6, 4.0, None, TerminationReason.CLOSING_PHRASE),
        ("resolved", 8, 6.0, None, TerminationReason.OUTCOME_REACHED),
        ("escalated", 10, 8.0, None, TerminationReason.OUTCOME_REACHED),
        (None, 12, 10.0, None, TerminationReason.MAX_MESSAGES),
        (None, 2, 1.0, "ChannelError: bot went away", TerminationReason.CHANNEL_ERROR),
    ]
    for i, (outcome, messages, duration, error, reason) in enumerate(specs):
        await write_transcript(
            folder,
            f"refund-{i:04d}",
            "refund",
            outcome=outcome,
            messages=messages,
            duration=duration,
            usage=usage,
            error=error,
            termination=reason,
            run_index=i,
        )
    # Cut short: no result line (a crash), and a run stopped by Ctrl-C.
    await write_transcript(folder, "refund-0006", "refund", finished=False, run_index=6)
    await write_transcript(
        folder, "refund-0007", "refund", termination=TerminationReason.STOPPED, run_index=7
    )
    for i in range(3):
        await write_transcript(
            folder, f"cancel-{i:04d}", "cancel", outcome="escalated", messages=3, duration=0.5
        )
    # A set-aside partial transcript must never be counted.
    (folder / "refund-0000.partial-1.jsonl").write_text(
        (folder / "refund-0006.jsonl").read_text(encoding="utf-8"), encoding="utf-8"
    )


async def test_summary_numbers_match_the_transcripts(tmp_path: Path) -> None:
    await _refund_folder(tmp_path)
    summary = summarize_folder(tmp_path)
    refund = summary.scenario("refund")
    assert refund is not None
    assert refund.runs == 6  # finished: 5 plus the errored one
    assert refund.unfinished == 2
    assert refund.outcomes == {"resolved": 3, "(none)": 1, "escalated": 1}
    assert refund.errors == 1 and refund.error_runs == ("refund-0005",)
    assert refund.terminations == {
        "closing_phrase": 2,
        "outcome_reached": 2,
        "channel_error": 1,
        "max_messages": 1,
    }
    assert refund.messages_mean == pytest.approx((4 + 6 + 8 + 10 + 12 + 2) / 6, abs=1e-3)
    assert refund.messages_median == 7.0
    assert refund.duration_mean == pytest.approx(31 / 6, abs=1e-3)
    assert refund.duration_median == 5.0
    assert refund.usage == Usage(
        llm_calls=18, prompt_tokens=600, completion_tokens=120, cache_hits=6
    )
    assert refund.rate("resolved") == pytest.approx(0.5)
    cancel = summary.scenario("cancel")
    assert cancel is not None and cancel.outcomes == {"escalated": 3} and cancel.runs == 3
    assert summary.total.runs == 9 and summary.total.unfinished == 2
    assert summary.total.outcomes == {"resolved": 3, "escalated": 4, "(none)": 1}

    written = json.loads((tmp_path / "summary.json").read_text())
    by_name = {row["scenario"]: row for row in written["scenarios"]}
    assert by_name["refund"]["outcomes"]["resolved"] == 3
    assert by_name["refund"]["tokens"] == 720
    assert by_name["refund"]["messages"] == {"mean": 7.0, "median": 7.0}
    rows = list(csv.DictReader(io.StringIO((tmp_path / "summary.csv").read_text())))
    assert [r["scenario"] for r in rows] == ["cancel", "refund", "ALL"]
    assert rows[1]["outcome:resolved"] == "3" and rows[1]["errors"] == "1"
    assert rows[1]["termination:max_messages"] == "1" and rows[0]["outcome:resolved"] == "0"
    assert rows[2]["runs"] == "9" and rows[1]["mean_duration_s"] == "5.167"

    table = format_table(summary)
    assert "refund: resolved 3 (50%), (none) 1 (17%), escalated 1 (17%), error 1 (17%)" in table


async def test_shard_folders_merge_into_one_summary(tmp_path: Path) -> None:
    keys = ["refund"]
    shards = []
    for k in (1, 2, 3):
        plan = plan_of(keys, 9, ShardSpec(k, 3))
        folder = tmp_path / f"shard{k}"
        write_manifest(folder, BatchManifest(plan=plan))
        for run in plan.planned_runs():
            outcome = "resolved" if run.run_index % 3 else "escalated"
            await write_transcript(
                folder, run.run_id, "refund", outcome=outcome, run_index=run.run_index
            )
        shards.append(folder)
    merged = summarize(collect(shards))
    assert merged.total.runs == 9 and merged.scenarios[0].planned == 9
    assert merged.scenarios[0].outcomes == {"resolved": 6, "escalated": 3}
    assert merged.problems == ()
    assert len(merged.batch_ids) == 1

    partial = summarize(collect(shards[:2]))
    assert partial.problems == (f"batch {merged.batch_ids[0]}: shard(s) 3/3 not included",)
    assert partial.scenarios[0].missing == 0  # what the included shards planned is there

    # The same folder twice: each conversation still counted once.
    twice = summarize(collect([shards[0], shards[0]]))
    assert twice.total.runs == len(list(shards[0].glob("refund-*.jsonl")))


async def test_missing_conversations_are_reported_against_the_plan(tmp_path: Path) -> None:
    plan = plan_of(["refund"], 5)
    write_manifest(tmp_path, BatchManifest(plan=plan))
    await write_transcript(tmp_path, "refund-0000", "refund")
    summary = summarize_folder(tmp_path, write=False)
    row = summary.scenarios[0]
    assert (row.planned, row.runs, row.missing) == (5, 1, 4)
    assert not (tmp_path / "summary.json").exists()


def test_an_empty_summary_has_zero_figures(tmp_path: Path) -> None:
    summary = summarize(collect([tmp_path]))
    assert summary.scenarios == () and summary.total.runs == 0
    assert "ALL" in csv_text(summary)
