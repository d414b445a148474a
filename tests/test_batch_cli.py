"""``convsim batch`` and ``convsim report`` from the command line (headless)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from convsim_core.batch import BatchCounts, RunState, RunStatus, TranscriptState, transcript_state
from convsim_core.batch.progress import ProgressPrinter, format_progress
from tests.test_batch_helpers import plan_of
from tui.cli import main


def test_headless_batch_prints_progress_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(["batch", "demo", "--runs", "8", "-c", "3", "--out", str(out), "--headless"])
    assert code == 0
    captured = capsys.readouterr()
    progress = [line for line in captured.err.splitlines() if line.startswith("[")]
    assert progress[-1].startswith("[########################] 8/8 | running 0 | resolved 8")
    assert len(progress) == 8  # not a terminal: a line per conversation for a small batch
    assert "demo: resolved 8 (100%)" in captured.out
    assert len(list(out.glob("demo-*.jsonl"))) == 8
    manifest = json.loads((out / "batch.json").read_text())
    assert manifest["scenarios"][0]["source"] == "builtin:demo"
    assert manifest["settings"]["mode"] == "full"

    # The folder is taken now: starting again needs --resume.
    assert main(["batch", "demo", "--runs", "8", "--out", str(out), "--headless"]) == 2
    assert "--resume" in capsys.readouterr().err


def test_resume_from_the_folder_alone_runs_only_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["batch", "demo", "--runs", "6", "--out", str(out), "--headless"]) == 0
    (out / "demo-0001.jsonl").unlink()
    cut = out / "demo-0004.jsonl"
    cut.write_text("".join(cut.read_text().splitlines(keepends=True)[:-1]))  # no result line
    before = (out / "demo-0000.jsonl").read_bytes()
    capsys.readouterr()
    assert main(["batch", "--resume", "--out", str(out), "--headless"]) == 0
    captured = capsys.readouterr()
    assert "4 finished, 2 to run (1 unfinished transcript(s) set aside)" in captured.err
    assert "demo: resolved 6 (100%)" in captured.out
    assert (out / "demo-0000.jsonl").read_bytes() == before
    assert transcript_state(out / "demo-0004.jsonl") is TranscriptState.COMPLETE
    assert (out / "demo-0004.partial-1.jsonl").is_file()
    # A different batch cannot be resumed into this folder.
    assert main(["batch", "demo", "--runs", "7", "--resume", "--out", str(out), "--headless"]) == 2


def test_shards_run_separately_and_report_merges_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folders = [tmp_path / f"s{k}" for k in (1, 2, 3)]
    for k, folder in enumerate(folders, start=1):
        args = ["batch", "demo", "--runs", "12", "--shard", f"{k}/3", "--out", str(folder)]
        assert main([*args, "--headless"]) == 0
    names = [sorted(p.name for p in f.glob("demo-*.jsonl")) for f in folders]
    assert sum(len(n) for n in names) == 12 and len(set().union(*map(set, names))) == 12
    capsys.readouterr()
    assert main(["report", *map(str, folders), "--json"]) == 0
    merged = json.loads(capsys.readouterr().out)
    assert merged["total"]["runs"] == 12 and merged["problems"] == []
    assert merged["scenarios"][0]["planned"] == 12
    assert main(["report", str(folders[0]), str(folders[1])]) == 0
    assert "shard(s) 3/3 not included" in capsys.readouterr().out


def test_report_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    assert main(["report", *(str(tmp_path / n) for n in "abc")]) == 2
    assert "two batches to compare" in capsys.readouterr().err


def test_bad_arguments_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", "no-such-scenario", "--headless"]) == 2
    assert "no such scenario" in capsys.readouterr().err
    assert main(["batch", "--resume", "--headless"]) == 2
    assert "--resume needs --out" in capsys.readouterr().err
    assert main(["batch", "demo", "--preset", "demo-ws", "--headless"]) == 2
    assert "--preset needs" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["batch", "demo", "--shard", "5/4"])


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_redraws_in_place_on_a_terminal_at_most_ten_times_a_second() -> None:
    counts = BatchCounts(total=100, pending=100)
    stream = io.StringIO()
    clock = Clock()
    printer = ProgressPrinter(stream, counts, tty=True, clock=clock)
    run = plan_of(["a"], 1).planned_runs()[0]
    status = RunStatus(run, Path("folder"), RunState.DONE)
    for _ in range(50):  # 50 conversations finish within 0.05 s: one redraw
        counts.done += 1
        counts.outcomes["resolved"] += 1
        clock.now += 0.001
        printer(status)
    clock.now = 1.0
    printer(status)
    printer.close()
    text = stream.getvalue()
    assert "\n" not in text[:-1] and text.endswith("\n")
    assert text.count("\r") == 3  # first update, one after the pause, the final line
    assert "50/100" in text and "resolved 50" in text


def test_progress_line_shows_counts_by_outcome_and_errors() -> None:
    counts = BatchCounts(total=10, running=2, done=5, errors=1)
    counts.outcomes.update({"resolved": 4, "escalated": 1})
    line = format_progress(counts, 75.0)
    assert line == (
        "[##############----------] 6/10 | running 2 | resolved 4 escalated 1 | errors 1 | 01:15"
    )


def test_without_a_terminal_the_batch_runs_headless(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["batch", "demo", "--runs", "2", "--out", str(tmp_path / "o")]) == 0
    captured = capsys.readouterr()
    assert "not a terminal; running headless" in captured.err
    assert "demo: resolved 2 (100%)" in captured.out
