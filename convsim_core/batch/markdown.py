"""A Markdown summary of ``convsim test`` sized for a pull-request comment.

One table row per scenario (verdict, pass rate with its 95% interval, runs needed), then the
failing conversations in a collapsed block so a long list does not bury the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from convsim_core.batch.attribution import Fault
from convsim_core.batch.cases import CaseState, TestCase

_ICON = {CaseState.PASSED: "✅ pass", CaseState.FAILED: "❌ fail", CaseState.ERROR: "⚠️ error"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_summary(
    cases: Sequence[TestCase], *, title: str = "convsim test", notes: Sequence[str] = ()
) -> str:
    failed = sum(c.state is not CaseState.PASSED for c in cases)
    head = f"### {title}: {len(cases) - failed}/{len(cases)} scenarios passed"
    lines = [head, ""]
    lines.append(
        "| scenario | verdict | pass rate | 95% CI | required | runs | sim. / infra faults |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    for case in cases:
        v = case.verdict
        if v is None:
            lines.append(f"| {_cell(case.scenario)} | {_ICON[case.state]} | - | - | - | - | - |")
            continue
        low, high = v.interval
        rate = "-" if v.pass_rate is None else f"{v.passes}/{v.runs} ({v.pass_rate:.0%})"
        ci = f"{low:.0%}-{high:.0%}" if v.runs else "-"
        runs = v.runs_text
        faults = f"{len(v.faults(Fault.SIMULATOR))} / {len(v.faults(Fault.INFRASTRUCTURE))}"
        lines.append(
            f"| {_cell(case.scenario)} | {_ICON[case.state]} | {rate} | {ci} |"
            f" ≥ {v.min_pass_rate:.0%} | {runs} | {faults} |"
        )
    for note in notes:
        lines.extend(["", f"> {_cell(note)}"])
    troubled = [c for c in cases if c.state is not CaseState.PASSED or c.details]
    for case in troubled:
        lines.extend(
            [
                "",
                "<details>",
                f"<summary>{_cell(case.scenario)}: {_cell(case.message)}</summary>",
                "",
            ]
        )
        lines.extend(f"- {_cell(line)}" for line in case.details or ("(no conversation details)",))
        lines.extend(["", "</details>"])
    return "\n".join(lines) + "\n"


def write_markdown(
    path: str | Path, cases: Sequence[TestCase], *, notes: Sequence[str] = ()
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown_summary(cases, notes=notes), encoding="utf-8")
    return path
