"""One test case per scenario: the shape that the JUnit and Markdown writers share.

A case fails when its scenario misses ``min_pass_rate`` (or, with a baseline, when its pass
rate dropped beyond chance); it is an error when nothing could be judged (every conversation
the simulator's or the infrastructure's fault). Its text names every failing conversation,
its outcome and its transcript, and lists the faults that were not counted.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

import attrs

from convsim_core.batch.attribution import UNCOUNTED, Fault
from convsim_core.batch.gate import GateResult
from convsim_core.batch.verdict import ScenarioVerdict, Status, pass_at_k, pass_hat_k


class CaseState(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


@attrs.frozen
class TestCase:
    __test__ = False  # not a pytest test class

    scenario: str
    state: CaseState
    message: str
    """One line: what the verdict was and why."""
    details: tuple[str, ...]
    """Failing conversations and uncounted faults, one line each."""
    seconds: float = 0.0
    verdict: ScenarioVerdict | None = None


def rate_line(v: ScenarioVerdict) -> str:
    if v.pass_rate is None:
        return "no counted runs"
    low, high = v.interval
    hat = pass_hat_k(v.passes, v.runs, v.k)
    at = pass_at_k(v.passes, v.runs, v.k)
    decided = v.decided_after
    line = (
        f"pass rate {v.passes}/{v.runs} ({v.pass_rate:.0%}, 95% CI {low:.0%}-{high:.0%}),"
        f" required {v.min_pass_rate:.0%}; pass^{v.k} {_share(hat)}, pass@{v.k} {_share(at)}"
    )
    if not v.sequential:
        return line  # "runs needed" means something only with --until-decided
    if decided is not None:
        return f"{line}; decided after {_runs(decided)}"
    return f"{line}; undecided after {_runs(v.runs)}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def detail_lines(v: ScenarioVerdict) -> tuple[str, ...]:
    lines = [
        f"{r.run_id}: outcome {r.outcome or 'none'}: {r.reason} (transcript {r.path})"
        for r in v.failures
    ]
    for fault in UNCOUNTED:
        lines.extend(
            f"{fault.value} fault, not counted: {r.run_id}: {r.reason} (transcript {r.path})"
            for r in v.faults(fault)
        )
    return tuple(lines)


def _unfinished(v: ScenarioVerdict) -> str:
    broken = v.excluded
    first = broken[0]
    assert first.fault is not None
    return (
        f"the run failed: {len(broken)} of {v.planned} planned runs have no counted result"
        f" after their retries (first: {first.run_id}, {first.fault.value} fault: {first.reason});"
        f" {rate_line(v)}"
    )


def build_cases(
    verdicts: Sequence[ScenarioVerdict],
    *,
    gate: GateResult | None = None,
    seconds: Mapping[str, float] | None = None,
) -> tuple[TestCase, ...]:
    """With ``gate``, a case fails only on a significant drop against the baseline."""
    regressed = {r.scenario: r for r in gate.regressions} if gate is not None else {}
    cases: list[TestCase] = []
    for v in verdicts:
        time = (seconds or {}).get(v.scenario, 0.0)
        if v.status is Status.ERROR and v.runs:
            state, message = CaseState.ERROR, _unfinished(v)
        elif v.status is Status.ERROR:
            state, message = (
                CaseState.ERROR,
                (
                    "the run failed: no conversation could be judged"
                    f" ({len(v.faults(Fault.INFRASTRUCTURE))} infrastructure,"
                    f" {len(v.faults(Fault.SIMULATOR))} simulator faults)"
                ),
            )
        elif gate is not None and v.scenario in gate.ungated:
            # Nothing to compare against: a new scenario must still meet its own min_pass_rate.
            passed = v.status is Status.PASS
            state = CaseState.PASSED if passed else CaseState.FAILED
            message = f"not in the baseline, judged by its own expectations; {rate_line(v)}"
        elif gate is not None:
            drop = regressed.get(v.scenario)
            if drop is not None:
                state = CaseState.FAILED
                message = (
                    f"pass rate dropped from {drop.old_rate:.0%} to {drop.new_rate:.0%}"
                    f" (Holm-adjusted p={drop.p_adjusted:.3g}); {rate_line(v)}"
                )
            else:
                state, message = CaseState.PASSED, f"no significant drop; {rate_line(v)}"
        elif v.status is Status.FAIL:
            state, message = CaseState.FAILED, rate_line(v)
        else:
            state, message = CaseState.PASSED, rate_line(v)
        cases.append(TestCase(v.scenario, state, message, detail_lines(v), time, v))
    return tuple(cases)
