"""bench_verdicts shows wrong verdicts of the development half only, with their transcript."""

from __future__ import annotations

import sys

import pytest

from benchmarks import bench_verdicts
from benchmarks.sgd_replay import Dialogue

_CHAT = (
    ("user", "I'd like a table for two tonight."),
    ("system", "Shall I book the 7 pm table for two?"),
    ("user", "Yes please."),
    ("system", "Enjoy your dinner!"),
)


async def test_a_wrong_verdict_is_shown_with_its_transcript_and_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = Dialogue("made-up/1", "none", _CHAT)  # labelled none on purpose: judged completed
    right = Dialogue("made-up/2", "completed", _CHAT)
    confusion, premature, _ = await bench_verdicts.verdicts(
        [wrong, right], "offline", show_misses=True
    )
    shown = capsys.readouterr().out
    assert confusion[("none", "completed")] == 1 and confusion[("completed", "completed")] == 1
    assert premature == 0
    assert "--- made-up/1: true none, judged completed" in shown
    assert "#4 agent: Enjoy your dinner!" in shown
    assert (
        "why: completed at message #4: agent answered the request accepted at message #2" in shown
    )
    assert "made-up/2" not in shown


@pytest.mark.parametrize("flag", ["--show-misses", "--only"])
def test_misses_and_partial_runs_exist_for_the_development_half_only(
    flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_verdicts", flag, "held-out"])
    with pytest.raises(SystemExit) as refused:
        bench_verdicts.cli()
    assert refused.value.code == 2
