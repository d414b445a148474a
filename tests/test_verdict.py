"""Verdict statistics: Wilson intervals, pass^k / pass@k, the sequential rule, grouping retries."""

from __future__ import annotations

import math

import pytest

from convsim_core.batch.attribution import Fault
from convsim_core.batch.gate import drop_power, regression_gate, runs_needed
from convsim_core.batch.verdict import (
    Decision,
    RunVerdict,
    SequentialRule,
    Status,
    build_verdict,
    pass_at_k,
    pass_hat_k,
    wilson,
)


def test_wilson_matches_published_values() -> None:
    # Reference values (e.g. R's prop.test(correct=FALSE) / statsmodels proportion_confint).
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)
    low, high = wilson(10, 10)
    assert low == pytest.approx(0.7225, abs=1e-4) and high == pytest.approx(1.0)
    assert wilson(0, 0) == (0.0, 1.0)


def test_pass_hat_k_and_pass_at_k() -> None:
    assert pass_hat_k(10, 10, 10) == 1.0
    assert pass_hat_k(9, 10, 10) == 0.0
    assert pass_hat_k(8, 10, 2) == pytest.approx(math.comb(8, 2) / math.comb(10, 2))
    assert pass_at_k(1, 10, 10) == 1.0
    assert pass_at_k(0, 10, 3) == 0.0
    assert pass_at_k(2, 10, 3) == pytest.approx(1 - math.comb(8, 3) / math.comb(10, 3))
    assert pass_hat_k(3, 3, 4) is None


def test_every_run_must_pass_fails_at_the_first_failure() -> None:
    rule = SequentialRule(1.0, 20)
    assert rule.decide(5, 0) is None
    assert rule.decide(5, 1) is Decision.FAIL
    assert rule.decided_after([True, True, False, True]) == 3


def test_clear_cases_stop_early_and_a_borderline_one_does_not() -> None:
    rule = SequentialRule(0.5, 40)
    assert rule.decided_after([True] * 40) == 8
    assert rule.decided_after([False] * 40) == 8
    # On the bar: only arithmetic certainty ends it, one run before the end.
    assert rule.decided_after([True, False] * 20) == 39
    # Near the bar (60% against 50%): no early stop either; only certainty, late.
    assert rule.decided_after([True, True, False, True, False] * 8) == 32


def test_certainty_ends_sampling_even_inside_the_indifference_zone() -> None:
    rule = SequentialRule(0.5, 4)
    assert rule.decide(2, 0) is Decision.PASS  # 2 of 4 already meets 50%
    assert rule.decide(0, 3) is Decision.FAIL  # at most 1 of 4 can pass


def _run(index: int, attempt: int, passed: bool, fault: Fault | None = None) -> RunVerdict:
    if not passed and fault is None:
        fault = Fault.AGENT
    return RunVerdict(f"s-{index}-{attempt}", index, attempt, "p", None, passed, fault)


def test_retries_replace_faults_and_faults_are_not_counted() -> None:
    verdict = build_verdict(
        "s",
        0.5,
        3,
        [
            _run(0, 0, False, Fault.INFRASTRUCTURE),
            _run(0, 1, True),
            _run(1, 0, False, Fault.AGENT),
            _run(2, 0, False, Fault.SIMULATOR),
            _run(2, 1, False, Fault.SIMULATOR),
        ],
    )
    assert (verdict.passes, verdict.runs) == (1, 2)
    # Run 2 stayed broken after its retry: no counted result, so no PASS (an error).
    assert verdict.status is Status.ERROR
    assert [r.run_id for r in verdict.excluded] == ["s-2-1"]
    assert len(verdict.faults(Fault.SIMULATOR)) == 2
    assert len(verdict.faults(Fault.INFRASTRUCTURE)) == 1
    data = verdict.to_dict()
    assert data["verdict"] == "error" and data["faults"]["simulator"] == 2
    only_faults = build_verdict("s", 1.0, 1, [_run(0, 0, False, Fault.INFRASTRUCTURE)])
    assert only_faults.status is Status.ERROR


def test_the_gate_flags_only_significant_drops_and_warns_on_small_samples() -> None:
    old = build_verdict("s", 1.0, 30, [_run(i, 0, True) for i in range(30)])
    dropped = build_verdict("s", 1.0, 30, [_run(i, 0, i % 2 == 0) for i in range(30)])
    gate = regression_gate([old], [dropped], min_drop=0.3)
    assert gate.failed and gate.regressions[0].scenario == "s"
    assert not gate.warnings
    better = regression_gate([dropped], [old])
    assert not better.failed  # a rise is not a regression
    small_old = build_verdict("s", 1.0, 3, [_run(i, 0, True) for i in range(3)])
    small_new = build_verdict("s", 1.0, 3, [_run(i, 0, i != 0) for i in range(3)])
    small = regression_gate(
        [small_old], [small_new], old_target="full simulation", new_target="ws ws://x"
    )
    assert not small.failed
    assert any("detect a 20-point drop with only" in w for w in small.warnings)
    assert any("different targets" in w for w in small.warnings)


def test_power_grows_with_runs() -> None:
    assert drop_power(0.9, 0.2, 10, 10, 0.05) < drop_power(0.9, 0.2, 60, 60, 0.05)
    needed = runs_needed(0.9, 0.2, 0.05)
    assert needed is not None and drop_power(0.9, 0.2, needed, needed, 0.05) >= 0.8


def test_weighted_pass_rate_follows_scenario_weights() -> None:
    from convsim_core.batch.verdict import format_verdicts, weighted_pass_rate

    common = build_verdict("common", 1.0, 2, [_run(0, 0, True), _run(1, 0, True)], weight=0.75)
    rare = build_verdict("rare", 1.0, 2, [_run(0, 0, False), _run(1, 0, False)], weight=0.25)
    assert weighted_pass_rate([common, rare]) == pytest.approx(0.75)
    assert "pass rate weighted by scenario weight: 75.0%" in format_verdicts([common, rare])
    assert weighted_pass_rate([]) is None
