"""Compare two batches: which outcome rates moved by more than chance explains."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from convsim_core.batch.stats import CountChange, fisher_exact, holm, two_proportion_z
from convsim_core.batch.summary import BatchSummary, ScenarioSummary

ERROR = "error"
"""Errors are compared like an outcome: a bot that starts failing is a change too."""
DEFAULT_ALPHA = 0.05


@attrs.frozen(kw_only=True)
class RateChange(CountChange):
    """How often one outcome (or ``error``) of one scenario came up in OLD and in NEW."""

    scenario: str
    outcome: str
    z: float

    @property
    def delta(self) -> float:
        return self.new_rate - self.old_rate


@attrs.frozen
class Comparison:
    old: BatchSummary
    new: BatchSummary
    changes: tuple[RateChange, ...]
    alpha: float
    only_old: tuple[str, ...] = ()
    only_new: tuple[str, ...] = ()

    @property
    def flagged(self) -> tuple[RateChange, ...]:
        return tuple(c for c in self.changes if c.flagged)


def _categories(old: ScenarioSummary, new: ScenarioSummary) -> list[str]:
    names = list(dict.fromkeys([*old.outcomes, *new.outcomes]))
    if old.errors or new.errors:
        names.append(ERROR)
    return names


def _count(summary: ScenarioSummary, name: str) -> int:
    return summary.errors if name == ERROR else summary.outcomes.get(name, 0)


def compare(old: BatchSummary, new: BatchSummary, *, alpha: float = DEFAULT_ALPHA) -> Comparison:
    """Test every (scenario, outcome) present in both batches."""
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    raw: list[tuple[str, str, int, int, int, int, float, float]] = []
    old_names = [s.scenario for s in old.scenarios]
    new_names = [s.scenario for s in new.scenarios]
    for scenario in old.scenarios:
        other = new.scenario(scenario.scenario)
        if other is None or scenario.runs == 0 or other.runs == 0:
            continue
        for name in _categories(scenario, other):
            k1, n1 = _count(scenario, name), scenario.runs
            k2, n2 = _count(other, name), other.runs
            z, _ = two_proportion_z(k1, n1, k2, n2)
            raw.append((scenario.scenario, name, k1, n1, k2, n2, z, fisher_exact(k1, n1, k2, n2)))
    adjusted = holm([row[7] for row in raw])
    changes = tuple(
        RateChange(k1, n1, k2, n2, p, adj, adj < alpha, scenario=s, outcome=o, z=z)
        for (s, o, k1, n1, k2, n2, z, p), adj in zip(raw, adjusted, strict=True)
    )
    return Comparison(
        old,
        new,
        changes,
        alpha,
        only_old=tuple(n for n in old_names if n not in new_names),
        only_new=tuple(n for n in new_names if n not in old_names),
    )


def _fmt_p(p: float) -> str:
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"


def format_comparison(comparison: Comparison) -> str:
    header = ["scenario", "outcome", "old", "new", "change", "z", "p", "p (Holm)", ""]
    table: list[list[str]] = [header]
    for c in comparison.changes:
        table.append(
            [
                c.scenario,
                c.outcome,
                f"{c.old_count}/{c.old_runs} ({c.old_rate:.0%})",
                f"{c.new_count}/{c.new_runs} ({c.new_rate:.0%})",
                f"{c.delta * 100:+.1f} pts",
                f"{c.z:+.2f}",
                _fmt_p(c.p_value),
                _fmt_p(c.p_adjusted),
                "CHANGED" if c.flagged else "",
            ]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    flagged = comparison.flagged
    lines.append("")
    if flagged:
        lines.append(
            f"{len(flagged)} outcome rate(s) changed beyond chance "
            f"(Fisher exact, Holm-adjusted p < {comparison.alpha:g})."
        )
    else:
        lines.append(f"no outcome rate changed beyond chance (alpha {comparison.alpha:g}).")
    lines.extend(_only("only in the old batch", comparison.only_old))
    lines.extend(_only("only in the new batch", comparison.only_new))
    return "\n".join(lines)


def _only(label: str, names: Iterable[str]) -> list[str]:
    names = list(names)
    return [f"{label}: {', '.join(names)}"] if names else []
