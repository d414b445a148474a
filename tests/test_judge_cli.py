"""``convsim judge``: re-judging saved transcripts, and agreement with human labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convsim_core.persistence import read_transcript, rewrite_result
from convsim_core.scenario import load_scenario
from tui.cli import main
from tui.export import apply_outcome_choice

EXAMPLES = Path(__file__).parent.parent / "examples" / "scenarios"
REFUND = EXAMPLES / "damaged-item-refund.toml"
GIVES_UP = EXAMPLES / "customer-gives-up.toml"


def _run(tmp_path: Path, scenario: Path, name: str, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "runs" / f"{name}.jsonl"
    args = ["watch", str(scenario), "--headless", "--speed", "1000", "--out", str(out)]
    assert main(args) == 0
    capsys.readouterr()
    return out


@pytest.fixture
def transcripts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    _run(tmp_path, REFUND, "refund-0001", capsys)
    _run(tmp_path, GIVES_UP, "gives-up-0001", capsys)
    return tmp_path / "runs"


def test_rejudging_writes_verdicts_beside_and_keeps_the_recorded_result(
    transcripts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (transcripts / "refund-0001.jsonl").read_text()
    assert main(["judge", str(transcripts)]) == 0
    out = capsys.readouterr().out
    assert "2 transcripts re-judged, 0 verdicts changed" in out
    assert (transcripts / "refund-0001.jsonl").read_text() == before
    verdict = json.loads((transcripts / "refund-0001.verdict.json").read_text())
    assert verdict["outcome"] == "refunded" and verdict["recorded_outcome"] == "refunded"
    assert verdict["judge"] == "offline"
    assert verdict["why"].startswith("refunded at message #")


def test_a_different_scenario_changes_verdicts_and_says_so(
    transcripts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stricter = tmp_path / "stricter.toml"
    stricter.write_text(
        REFUND.read_text()
        .replace('keywords = ["full refund of"]', 'keywords = ["store credit"]')
        .replace(
            'description = "The customer got a full refund."', 'description = "Store credit."'
        ),
        encoding="utf-8",
    )
    target = transcripts / "refund-0001.jsonl"
    assert main(["judge", str(target), "--scenario", str(stricter), "--judge", "keyword"]) == 0
    out = capsys.readouterr().out
    assert "1 verdicts changed" in out
    assert "refunded -> none: 1" in out
    assert "changed: refund-0001: refunded -> none (no outcome; possible: refunded" in out
    assert read_transcript(target).result is not None
    assert read_transcript(target).result.conversation.outcome.name == "refunded"  # type: ignore[union-attr]


def test_labels_give_precision_recall_confusion_and_kappa(
    transcripts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "conversation_id,outcome,labeller\n"
        "refund-0001,escalated,ann\n"
        "refund-0001,refunded,ann\n"  # a later row wins
        "gives-up-0001,abandoned,bob\n",
        encoding="utf-8",
    )
    assert main(["judge", str(transcripts), "--labels", str(labels)]) == 0
    out = capsys.readouterr().out
    assert "agreement with people on 2 conversations: accuracy 100.0%, Cohen's kappa 1.00" in out
    assert "refunded              100.0%  100.0%" in out
    assert "confusion (rows: people, columns: judge)" in out


def test_play_mode_verdicts_count_as_labels(
    transcripts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = transcripts / "refund-0001.jsonl"
    result = read_transcript(path).result
    assert result is not None
    rewrite_result(path, apply_outcome_choice(result, None, load_scenario(REFUND).outcomes))
    assert main(["judge", str(path)]) == 0
    out = capsys.readouterr().out
    assert "agreement with people on 1 conversations: accuracy 0.0%" in out


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("nobody-0001,refunded\n", "labels.csv:2: unknown conversation 'nobody-0001'"),
        ("refund-0001,refundd\n", "labels.csv:2: unknown outcome 'refundd' for refund-0001"),
    ],
)
def test_bad_labels_are_a_one_line_error_naming_the_line(
    transcripts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: str, message: str
) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("conversation_id,outcome\n" + rows, encoding="utf-8")
    assert main(["judge", str(transcripts), "--labels", str(labels)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    # Checked before anything is written: a bad labels file leaves no verdict behind.
    assert not list(transcripts.glob("*.verdict.json"))


def test_missing_transcripts_are_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["judge", str(tmp_path / "nope")]) == 2
    assert "no such transcript file or folder" in capsys.readouterr().err
