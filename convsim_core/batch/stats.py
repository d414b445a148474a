"""The few statistics batch comparison needs, in plain ``math`` (no scipy dependency).

Fisher's exact test is the flagging test because batches are often small (tens of runs per
scenario) where the normal approximation behind the z-test is poor; the z statistic is still
reported because people read it more easily.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs


def proportion(count: int, runs: int) -> float:
    """``count / runs``, 0 for no runs (a scenario without runs has no rate to compare)."""
    return count / runs if runs else 0.0


@attrs.frozen
class CountChange:
    """A count out of OLD's runs against one out of NEW's, as ``convsim report OLD NEW`` and
    the baseline gate test it: Fisher's exact p, Holm-adjusted over the whole report."""

    old_count: int
    old_runs: int
    new_count: int
    new_runs: int
    p_value: float
    """Fisher's exact test, two-sided."""
    p_adjusted: float
    """Holm-adjusted across every comparison in the report."""
    flagged: bool
    """Called out by the report (a significant change; for the gate, a significant drop)."""

    @property
    def old_rate(self) -> float:
        return proportion(self.old_count, self.old_runs)

    @property
    def new_rate(self) -> float:
        return proportion(self.new_count, self.new_runs)


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of Fisher's exact test for ``k1/n1`` against ``k2/n2``.

    Sums the probabilities of every table with the same margins that is no more likely than
    the observed one (the usual "minimum likelihood" two-sided definition, as in R and scipy).
    """
    _check(k1, n1)
    _check(k2, n2)
    total = n1 + n2
    successes = k1 + k2
    if total == 0 or successes in (0, total):
        return 1.0
    low = max(0, successes - n2)
    high = min(successes, n1)
    denominator = _log_choose(total, successes)

    def log_p(x: int) -> float:
        return _log_choose(n1, x) + _log_choose(n2, successes - x) - denominator

    observed = log_p(k1)
    tolerance = 1e-7  # relative: tables as likely as the observed one count as "as extreme"
    p = 0.0
    for x in range(low, high + 1):
        lp = log_p(x)
        if lp <= observed + tolerance:
            p += math.exp(lp)
    return min(1.0, p)


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z statistic (``p2 - p1``) and its two-sided p-value."""
    _check(k1, n1)
    _check(k2, n2)
    if n1 == 0 or n2 == 0:
        return 0.0, 1.0
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (k2 / n2 - k1 / n1) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values: comparing many outcome rates at once should not
    flag one of them just because many were looked at."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _check(k: int, n: int) -> None:
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
