"""`convsim watch --from DIR/ID` re-runs one batch conversation exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from convsim_core.persistence import read_transcript
from tui.cli import main

SCENARIO = Path(__file__).parent.parent / "examples" / "scenarios" / "customer-gives-up.toml"


def test_rerun_of_a_batch_conversation_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "batch"
    assert main(["batch", str(SCENARIO), "--runs", "2", "--out", str(batch), "--headless"]) == 0
    original = read_transcript(batch / "customer-gives-up-0001.jsonl")
    rerun_path = tmp_path / "rerun.jsonl"
    code = main(
        [
            "watch",
            "--from",
            str(batch / "customer-gives-up-0001"),
            "--headless",
            "--out",
            str(rerun_path),
        ]
    )
    assert code == 0
    rerun = read_transcript(rerun_path)
    assert [(m.sender, m.content) for m in rerun.messages] == [
        (m.sender, m.content) for m in original.messages
    ]
    assert rerun.result is not None and original.result is not None
    assert rerun.result.seed == original.result.seed
    assert rerun.result.conversation.outcome == original.result.conversation.outcome


def test_unknown_run_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["watch", "--from", str(tmp_path / "nothing" / "run-1"), "--headless"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("convsim: error:")
    assert len(err.splitlines()) == 1
