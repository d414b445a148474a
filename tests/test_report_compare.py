"""Comparing two batches: the statistics, and the verdicts on real folders."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from convsim_core.batch import collect, compare, format_comparison, summarize
from convsim_core.batch.stats import fisher_exact, holm, two_proportion_z
from tests.test_batch_helpers import write_transcript
from tui.cli import main


def test_fisher_exact_matches_reference_values() -> None:
    # Fisher's tea-tasting table [[3, 1], [1, 3]]: p = 34/70 (R: fisher.test, two-sided).
    assert fisher_exact(3, 4, 1, 4) == pytest.approx(34 / 70)
    # [[8, 2], [1, 5]]: scipy.stats.fisher_exact gives 0.034965...
    assert fisher_exact(8, 10, 1, 6) == pytest.approx(0.0349650, abs=1e-6)
    assert fisher_exact(5, 10, 5, 10) == pytest.approx(1.0)
    assert fisher_exact(0, 10, 0, 12) == 1.0
    # Symmetric in the two groups.
    assert fisher_exact(1, 6, 8, 10) == pytest.approx(fisher_exact(8, 10, 1, 6))
    with pytest.raises(ValueError):
        fisher_exact(5, 4, 1, 4)


def test_two_proportion_z_test() -> None:
    z, p = two_proportion_z(50, 100, 70, 100)
    assert z == pytest.approx(0.2 / math.sqrt(0.6 * 0.4 * 0.02))
    assert p == pytest.approx(0.003892, abs=1e-5)
    assert two_proportion_z(0, 10, 0, 10) == (0.0, 1.0)


def test_holm_adjustment() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([]) == []


async def _batch(folder: Path, scenario: str, resolved: int, total: int) -> None:
    for i in range(total):
        outcome = "resolved" if i < resolved else "escalated"
        await write_transcript(
            folder, f"{scenario}-{i:04d}", scenario, outcome=outcome, run_index=i
        )


async def test_a_clear_change_is_flagged_and_a_tiny_one_is_not(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    await _batch(old, "refund", 80, 100)
    await _batch(new, "refund", 45, 100)
    await _batch(old, "cancel", 50, 100)
    await _batch(new, "cancel", 53, 100)
    result = compare(summarize(collect([old])), summarize(collect([new])))
    changes = {(c.scenario, c.outcome): c for c in result.changes}
    refund = changes[("refund", "resolved")]
    assert refund.flagged and refund.p_value < 1e-5 and refund.delta == pytest.approx(-0.35)
    assert changes[("refund", "escalated")].flagged
    cancel = changes[("cancel", "resolved")]
    assert not cancel.flagged and cancel.p_value > 0.5
    assert {(c.scenario, c.outcome) for c in result.flagged} == {
        ("refund", "resolved"),
        ("refund", "escalated"),
    }
    text = format_comparison(result)
    assert "2 outcome rate(s) changed beyond chance" in text
    refund_line = next(
        line for line in text.splitlines() if line.split()[:2] == ["refund", "resolved"]
    )
    assert "80/100 (80%)" in refund_line and "45/100 (45%)" in refund_line
    assert refund_line.rstrip().endswith("CHANGED")


async def test_report_command_compares_two_batch_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    await _batch(old, "refund", 18, 20)
    await _batch(new, "refund", 4, 20)
    assert main(["report", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "OLD:" in out and "NEW:" in out
    assert "CHANGED" in out
    await _batch(tmp_path / "same", "refund", 17, 20)
    assert main(["report", str(old), str(tmp_path / "same")]) == 0
    assert "no outcome rate changed beyond chance" in capsys.readouterr().out
