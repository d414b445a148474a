"""The batch dashboard's head: per scenario, how many finished and which outcomes, in colour."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from textual.content import Content
from textual.widgets import Static

from convsim_core.batch import RunState, RunStatus

PALETTE = ("$text-success", "$text-primary", "$text-accent", "$text-warning", "$secondary")
NO_OUTCOME = "no outcome"
ERROR = "error"


def is_failure(status: RunStatus) -> bool:
    """What the failures-only filter keeps: errors, stopped runs, finished runs without outcome."""
    if status.state in (RunState.ERROR, RunState.STOPPED):
        return True
    return status.state is RunState.DONE and status.outcome is None


class ScenarioCounts(Static):
    """One line per scenario: finished/total, then each outcome's count in its own colour."""

    DEFAULT_CSS = """
    ScenarioCounts { height: auto; max-height: 8; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._colours: dict[str, str] = {}

    def colour(self, outcome: str) -> str:
        if outcome == ERROR:
            return "$text-error"
        if outcome == NO_OUTCOME:
            return "$text-muted"
        if outcome not in self._colours:
            self._colours[outcome] = PALETTE[len(self._colours) % len(PALETTE)]
        return self._colours[outcome]

    def show(
        self,
        statuses: Iterable[RunStatus],
        progress: str,
        *,
        verdicts: Mapping[str, str] | None = None,
    ) -> None:
        """``verdicts``: scenario -> pass/fail/... once the batch has expectations to check."""
        verdicts = verdicts or {}
        per: dict[str, Counter[str]] = {}
        totals: Counter[str] = Counter()
        finished: Counter[str] = Counter()
        for status in statuses:
            scenario = status.run.scenario
            totals[scenario] += 1
            counts = per.setdefault(scenario, Counter())
            if status.state is RunState.ERROR:
                counts[ERROR] += 1
            elif status.state is RunState.DONE:
                counts[status.outcome or NO_OUTCOME] += 1
            else:
                continue
            finished[scenario] += 1
        width = max((len(name) for name in totals), default=8)
        lines = [Content(progress)]
        for scenario in sorted(totals):
            parts = [
                Content.from_markup(
                    "[b]$name[/b] $done/$total ",
                    name=scenario.ljust(width),
                    done=str(finished[scenario]),
                    total=str(totals[scenario]),
                )
            ]
            verdict = verdicts.get(scenario)
            if verdict:
                style = {"pass": "$text-success", "fail": "$text-error"}.get(
                    verdict, "$text-warning"
                )
                parts.append(Content.from_markup(f"[b {style}]$v[/] ", v=verdict.upper()))
            for outcome, count in sorted(per[scenario].items(), key=lambda kv: (-kv[1], kv[0])):
                parts.append(
                    Content.from_markup(
                        f"[{self.colour(outcome)}]● $outcome $count[/] ",
                        outcome=outcome,
                        count=str(count),
                    )
                )
            lines.append(Content("").join(parts))
        self.update(Content("\n").join(lines))
