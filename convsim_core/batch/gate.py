"""The baseline gate: fail only on a pass-rate drop that chance does not explain.

Each scenario's pass count in OLD and NEW (simulator and infrastructure faults left out) is
compared with Fisher's exact test, Holm-adjusted over the scenarios, the same statistics as
``convsim report OLD NEW``. Only drops are flagged. Two warnings keep the gate honest: when
the samples are too small to detect a drop of ``min_drop`` with 80% power (a green gate then
proves little), and when OLD and NEW ran against different targets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from convsim_core.batch.stats import CountChange, fisher_exact, holm
from convsim_core.batch.verdict import ScenarioVerdict

DEFAULT_MIN_DROP = 0.2
POWER = 0.8


@attrs.frozen(kw_only=True)
class Regression(CountChange):
    """One scenario's pass count (``old_count``, ``new_count``) in OLD and in NEW."""

    scenario: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "old": [self.old_count, self.old_runs],
            "new": [self.new_count, self.new_runs],
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "regressed": self.flagged,
        }


@attrs.frozen
class GateResult:
    rows: tuple[Regression, ...]
    warnings: tuple[str, ...]
    alpha: float
    ungated: tuple[str, ...] = ()
    """NEW scenarios the baseline cannot judge (absent there, or no counted runs on a side):
    ``convsim test`` judges them by their own expectations instead of letting them through."""

    @property
    def regressions(self) -> tuple[Regression, ...]:
        return tuple(r for r in self.rows if r.flagged)

    @property
    def failed(self) -> bool:
        return bool(self.regressions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "failed": self.failed,
            "scenarios": [r.to_dict() for r in self.rows],
            "warnings": list(self.warnings),
        }


def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def _z(p: float) -> float:
    """Inverse of the standard normal CDF (bisection: precise enough, no scipy)."""
    low, high = -10.0, 10.0
    for _ in range(100):
        mid = (low + high) / 2
        if _phi(mid) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def drop_power(old_rate: float, drop: float, n_old: int, n_new: int, alpha: float) -> float:
    """Power of a two-sided two-proportion test to see ``old_rate`` fall by ``drop``."""
    if n_old < 1 or n_new < 1:
        return 0.0
    p1 = min(1.0, max(old_rate, drop))
    p2 = max(0.0, p1 - drop)
    pooled = (p1 * n_old + p2 * n_new) / (n_old + n_new)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_old + 1 / n_new))
    se1 = math.sqrt(p1 * (1 - p1) / n_old + p2 * (1 - p2) / n_new)
    if se1 == 0:
        return 1.0
    return _phi((drop - _z(1 - alpha / 2) * se0) / se1)


def runs_needed(old_rate: float, drop: float, alpha: float, power: float = POWER) -> int | None:
    """Runs per side (equal sizes) for ``power`` against a drop of ``drop``."""
    for n in range(2, 5001):
        if drop_power(old_rate, drop, n, n, alpha) >= power:
            return n
    return None


def describe_target(settings: Mapping[str, Any] | None) -> str:
    """How a batch's manifest settings name what it ran against."""
    settings = settings or {}
    bot = settings.get("bot")
    if settings.get("mode", "full") == "full" or not isinstance(bot, Mapping):
        return "full simulation"
    if bot.get("demo_bot"):
        return f"the built-in demo bot ({bot.get('kind')})"
    if bot.get("profile"):
        return f"bot profile {bot.get('profile')}"
    return f"{bot.get('kind')} {bot.get('url')}"


def regression_gate(
    old: Sequence[ScenarioVerdict],
    new: Sequence[ScenarioVerdict],
    *,
    alpha: float = 0.05,
    min_drop: float = DEFAULT_MIN_DROP,
    old_target: str | None = None,
    new_target: str | None = None,
) -> GateResult:
    warnings: list[str] = []
    if old_target is not None and new_target is not None and old_target != new_target:
        warnings.append(
            f"OLD and NEW ran against different targets (OLD: {old_target}; NEW: {new_target})"
        )
    raw: list[tuple[str, int, int, int, int, float]] = []
    ungated: list[str] = []
    by_name = {v.scenario: v for v in old}
    for verdict in new:
        base = by_name.get(verdict.scenario)
        if base is None:
            ungated.append(verdict.scenario)
            warnings.append(
                f"{verdict.scenario}: not in the baseline; judged by its own expectations"
            )
            continue
        k1, n1, k2, n2 = base.passes, base.runs, verdict.passes, verdict.runs
        if n1 == 0 or n2 == 0:
            ungated.append(verdict.scenario)
            warnings.append(
                f"{verdict.scenario}: no counted runs on one side; judged by its own expectations"
            )
            continue
        raw.append((verdict.scenario, k1, n1, k2, n2, fisher_exact(k1, n1, k2, n2)))
        power = drop_power(k1 / n1, min_drop, n1, n2, alpha)
        if power < POWER:
            needed = runs_needed(k1 / n1, min_drop, alpha)
            advice = f"; about {needed} runs on each side would reach 80%" if needed else ""
            warnings.append(
                f"{verdict.scenario}: {n1} OLD and {n2} NEW runs detect a"
                f" {min_drop * 100:.0f}-point drop with only {power:.0%} power{advice}"
            )
    adjusted = holm([row[5] for row in raw])
    rows = tuple(
        Regression(k1, n1, k2, n2, p, adj, adj < alpha and k2 / n2 < k1 / n1, scenario=s)
        for (s, k1, n1, k2, n2, p), adj in zip(raw, adjusted, strict=True)
    )
    return GateResult(rows, tuple(warnings), alpha, tuple(ungated))


def format_gate(gate: GateResult) -> str:
    lines = ["regression gate (pass rates, Fisher exact, Holm-adjusted):"]
    for r in gate.rows:
        mark = "REGRESSED" if r.flagged else "ok"
        lines.append(
            f"  {r.scenario}: {r.old_count}/{r.old_runs} ({r.old_rate:.0%}) -> "
            f"{r.new_count}/{r.new_runs} ({r.new_rate:.0%}), p={r.p_adjusted:.3g} {mark}"
        )
    if not gate.rows:
        lines.append("  no scenario with verdicts on both sides")
    lines.extend(f"warning: {w}" for w in gate.warnings)
    return "\n".join(lines)
