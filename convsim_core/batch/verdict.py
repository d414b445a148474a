"""A scenario's verdict over N runs: pass rate, its Wilson 95% interval, pass^k, pass@k, and the
sequential rule that lets ``convsim test --until-decided`` stop sampling a clear case early.

Single runs are mostly noise (on simulated-user benchmarks 10-55% of tasks flip between
identical runs), so a scenario passes on a *rate*: ``passes / counted >= min_pass_rate``, where
``counted`` leaves out conversations the simulator or the infrastructure broke
(:mod:`convsim_core.batch.attribution`).

The stopping rule is Wald's sequential probability ratio test with an indifference zone around
``min_pass_rate`` (``p0``): it weighs "the bot passes with rate ``p0 + delta``" against "with
rate ``p0 - delta``" after every conversation and stops once one is 19 times likelier than the
other (error rates alpha = beta = 0.05 at the zone's edges). Unlike re-checking a fixed 95%
interval after every run, its error rates hold under repeated looks. It also stops as soon as
the verdict is arithmetically certain (one failure when every run must pass; enough passes that
the remaining runs cannot pull the rate below ``p0``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from convsim_core.batch.attribution import UNCOUNTED, Fault
from convsim_core.serialization import register_record, unstructure

Z95 = 1.959963984540054
DEFAULT_K = 3
"""pass^k/pass@k use k = min(3, counted runs) unless ``convsim test --k`` says otherwise: with k
equal to the runs they would only restate "all passed" and "any passed"."""
INDIFFERENCE = 0.1
ALPHA = 0.05
BETA = 0.05


def wilson(passes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 1) without data."""
    if n <= 0:
        return 0.0, 1.0
    p = passes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def pass_hat_k(passes: int, n: int, k: int) -> float | None:
    """Chance that k runs drawn from these n all pass (tau-bench's pass^k); None if k > n."""
    if k < 1 or k > n:
        return None
    return math.comb(passes, k) / math.comb(n, k)


def pass_at_k(passes: int, n: int, k: int) -> float | None:
    """Chance that at least one of k runs drawn from these n passes (unbiased pass@k)."""
    if k < 1 or k > n:
        return None
    return 1.0 - math.comb(n - passes, k) / math.comb(n, k)


class Decision(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"


@attrs.frozen
class SequentialRule:
    """Decides pass/fail against ``p0`` from the counts so far, or None (keep sampling)."""

    p0: float
    max_runs: int
    delta: float = INDIFFERENCE
    alpha: float = ALPHA
    beta: float = BETA

    def decide(self, passes: int, fails: int) -> Decision | None:
        n = passes + fails
        if n == 0:
            return None
        certain = self._certain(passes, fails)
        if certain is not None:
            return certain
        llr = self._llr(passes, fails)
        if llr >= math.log((1 - self.beta) / self.alpha):
            return Decision.PASS
        if llr <= math.log(self.beta / (1 - self.alpha)):
            return Decision.FAIL
        return None

    def _certain(self, passes: int, fails: int) -> Decision | None:
        remaining = max(0, self.max_runs - passes - fails)
        total = passes + fails + remaining
        if passes >= self.p0 * total - 1e-12:
            return Decision.PASS  # even if every remaining run fails
        if passes + remaining < self.p0 * total - 1e-12:
            return Decision.FAIL  # even if every remaining run passes
        return None

    def _llr(self, passes: int, fails: int) -> float:
        good = min(self.p0 + self.delta, (1 + self.p0) / 2)
        bad = max(self.p0 - self.delta, self.p0 / 2)
        if bad <= 0:
            return math.inf if passes else 0.0
        llr = passes * math.log(good / bad)
        if fails:
            llr += -math.inf if good >= 1 else fails * math.log((1 - good) / (1 - bad))
        return llr

    def decided_after(self, results: Iterable[bool]) -> int | None:
        """How many of these results (in order) the rule needed to decide, or None."""
        passes = fails = 0
        for passed in results:
            passes += passed
            fails += not passed
            if self.decide(passes, fails) is not None:
                return passes + fails
        return None


@attrs.frozen
class RunVerdict:
    """One conversation (one attempt of one planned run) against the scenario's expectations."""

    run_id: str
    run_index: int
    attempt: int
    path: str
    outcome: str | None
    passed: bool
    fault: Fault | None = None
    reason: str = ""
    message_index: int | None = None

    @property
    def counted(self) -> bool:
        """Counts toward the pass rate: it passed or the agent is to blame."""
        return self.passed or self.fault is Fault.AGENT

    def to_dict(self) -> dict[str, Any]:
        return unstructure(self)


register_record(RunVerdict, path="transcript")


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    """Nothing to judge (every conversation was the simulator's or the infrastructure's fault),
    or a planned run still had no counted result after its retries."""


@attrs.frozen
class ScenarioVerdict:
    scenario: str
    min_pass_rate: float
    planned: int
    final: tuple[RunVerdict, ...]
    """The last attempt of every planned run that finished, in run order."""
    attempts: tuple[RunVerdict, ...]
    """Every attempt, retries included."""
    weight: float = 1.0
    """The scenario's share of real traffic (``weight`` in the file; see ``weighted_pass_rate``)."""
    k_wanted: int | None = None
    """``--k``: the k of pass^k/pass@k (None: ``DEFAULT_K``); capped at the counted runs."""
    sequential: bool = False
    """Sampled with ``--until-decided``: only then is "runs needed" a figure worth showing."""

    @property
    def counted(self) -> tuple[RunVerdict, ...]:
        return tuple(r for r in self.final if r.counted)

    @property
    def passes(self) -> int:
        return sum(r.passed for r in self.counted)

    @property
    def runs(self) -> int:
        return len(self.counted)

    @property
    def pass_rate(self) -> float | None:
        return self.passes / self.runs if self.runs else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.passes, self.runs)

    @property
    def k(self) -> int:
        return min(self.k_wanted or DEFAULT_K, self.runs)

    @property
    def failures(self) -> tuple[RunVerdict, ...]:
        return tuple(r for r in self.counted if not r.passed)

    def faults(self, fault: Fault) -> tuple[RunVerdict, ...]:
        return tuple(r for r in self.attempts if r.fault is fault)

    @property
    def uncounted(self) -> tuple[RunVerdict, ...]:
        """The simulator's faults, then the infrastructure's: listed, not counted."""
        return tuple(r for fault in UNCOUNTED for r in self.faults(fault))

    @property
    def excluded(self) -> tuple[RunVerdict, ...]:
        """Planned runs whose last attempt was still a simulator or infrastructure fault."""
        return tuple(r for r in self.final if not r.counted)

    @property
    def status(self) -> Status:
        rate = self.pass_rate
        if rate is None:
            return Status.ERROR
        if rate < self.min_pass_rate - 1e-12:
            return Status.FAIL
        # A planned run that stayed broken after its retries has no result: passing on the
        # others would let a bot that crashes on every second conversation through.
        return Status.ERROR if self.excluded else Status.PASS

    @property
    def rule(self) -> SequentialRule:
        return SequentialRule(self.min_pass_rate, self.planned)

    @property
    def decided_after(self) -> int | None:
        """Runs the sequential rule needed to decide (None: undecided after all of them, or
        not sampled with ``--until-decided``)."""
        if not self.sequential:
            return None
        return self.rule.decided_after(r.passed for r in self.counted)

    @property
    def runs_text(self) -> str:
        """The runs column: with ``--until-decided`` how many the rule needed, else the count."""
        decided = self.decided_after
        if decided is not None:
            return f"{decided}/{self.planned}"
        suffix = " (undecided)" if self.sequential else ""
        return f"{self.runs}/{self.planned}{suffix}"

    def to_dict(self) -> dict[str, Any]:
        low, high = self.interval
        return {
            "scenario": self.scenario,
            "verdict": self.status.value,
            "weight": self.weight,
            "min_pass_rate": self.min_pass_rate,
            "planned": self.planned,
            "counted": self.runs,
            "passes": self.passes,
            "pass_rate": None if self.pass_rate is None else round(self.pass_rate, 6),
            "wilson_95": [round(low, 6), round(high, 6)],
            "k": self.k,
            "pass^k": pass_hat_k(self.passes, self.runs, self.k),
            "pass@k": pass_at_k(self.passes, self.runs, self.k),
            "decided_after": self.decided_after,
            "faults": {f.value: len(self.faults(f)) for f in Fault},
            "excluded": [r.run_id for r in self.excluded],
            "failures": [r.to_dict() for r in self.failures],
            "simulator_faults": [r.to_dict() for r in self.faults(Fault.SIMULATOR)],
            "infrastructure_faults": [r.to_dict() for r in self.faults(Fault.INFRASTRUCTURE)],
        }


def build_verdict(
    scenario: str,
    min_pass_rate: float,
    planned: int,
    attempts: Sequence[RunVerdict],
    *,
    weight: float = 1.0,
    k: int | None = None,
    sequential: bool = False,
) -> ScenarioVerdict:
    """Group attempts by planned run; the last finished attempt of each is its result."""
    ordered = sorted(attempts, key=lambda r: (r.run_index, r.attempt))
    last: dict[int, RunVerdict] = {}
    for verdict in ordered:
        last[verdict.run_index] = verdict
    final = tuple(last[i] for i in sorted(last))
    return ScenarioVerdict(
        scenario, min_pass_rate, planned, final, tuple(ordered), weight, k, sequential
    )


def weighted_pass_rate(verdicts: Sequence[ScenarioVerdict]) -> float | None:
    """Pass rates averaged by scenario weight: what share of real customers would be served
    well, when the weights are the scenarios' shares of real traffic. None without data."""
    rated = [(v.weight, v.pass_rate) for v in verdicts if v.pass_rate is not None]
    total = sum(w for w, _ in rated)
    if not rated or total <= 0:
        return None
    return sum(w * r for w, r in rated if r is not None) / total


def verdict_line(verdicts: Sequence[ScenarioVerdict]) -> str:
    """One line for a status bar: every scenario's verdict and pass rate."""
    parts = []
    for v in verdicts:
        rate = "no counted runs" if v.pass_rate is None else f"{v.passes}/{v.runs}"
        parts.append(f"{v.scenario} {v.status.value.upper()} {rate}")
    return "verdicts: " + ", ".join(parts)


def format_verdicts(verdicts: Sequence[ScenarioVerdict]) -> str:
    """Plain-text verdict table for the terminal and ``convsim report``."""
    if not verdicts:
        return ""
    head = ["scenario", "verdict", "pass rate", "95% CI", "need", "pass^k", "pass@k", "runs"]
    head += ["sim.", "infra"]
    table = [head]
    for v in verdicts:
        low, high = v.interval
        rate = "-" if v.pass_rate is None else f"{v.passes}/{v.runs} {v.pass_rate:.0%}"
        hat = pass_hat_k(v.passes, v.runs, v.k)
        at = pass_at_k(v.passes, v.runs, v.k)
        table.append(
            [
                v.scenario,
                v.status.value.upper(),
                rate,
                f"{low:.0%}-{high:.0%}" if v.runs else "-",
                f">={v.min_pass_rate:.0%}",
                "-" if hat is None else f"{hat:.2f}",
                "-" if at is None else f"{at:.2f}",
                v.runs_text,
                str(len(v.faults(Fault.SIMULATOR))),
                str(len(v.faults(Fault.INFRASTRUCTURE))),
            ]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    lines = []
    for n, row in enumerate(table):
        lines.append(
            "  ".join(
                c.ljust(w) if i < 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if any(v.weight != 1.0 for v in verdicts):
        weighted = weighted_pass_rate(verdicts)
        if weighted is not None:
            lines.append(f"pass rate weighted by scenario weight: {weighted:.1%}")
    for v in verdicts:
        for r in v.failures:
            lines.append(f"  FAIL {r.run_id}: {r.reason} ({r.path})")
        for r in v.uncounted:
            assert r.fault is not None
            lines.append(f"  {r.fault.value} fault {r.run_id}: {r.reason} (not counted)")
    return "\n".join(lines)
