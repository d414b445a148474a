"""The verdict block of a scenario card in the HTML report (``[expect]`` scenarios only)."""

from __future__ import annotations

from html import escape

from convsim_core.batch.attribution import Fault
from convsim_core.batch.verdict import ScenarioVerdict, Status, pass_at_k, pass_hat_k


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def verdict_block(verdict: ScenarioVerdict | None) -> str:
    if verdict is None:
        return ""
    low, high = verdict.interval
    rate = (
        "-"
        if verdict.pass_rate is None
        else f"{verdict.passes}/{verdict.runs} ({verdict.pass_rate:.0%})"
    )
    hat = pass_hat_k(verdict.passes, verdict.runs, verdict.k)
    at = pass_at_k(verdict.passes, verdict.runs, verdict.k)
    decided = verdict.decided_after
    needed = (
        f"{decided} of {verdict.planned}"
        if decided is not None
        else f"undecided after {verdict.runs}"
        if verdict.sequential
        else f"{verdict.runs} of {verdict.planned} (no --until-decided)"
    )
    cells = [
        ("verdict", verdict.status.value.upper()),
        ("pass rate", rate),
        ("95% interval (Wilson)", f"{low:.0%} - {high:.0%}" if verdict.runs else "-"),
        ("required", f"{verdict.min_pass_rate:.0%}"),
        (
            f"pass^{verdict.k} / pass@{verdict.k}",
            "-" if hat is None or at is None else f"{hat:.2f} / {at:.2f}",
        ),
        ("runs needed" if verdict.sequential else "runs", needed),
        ("simulator faults (not counted)", len(verdict.faults(Fault.SIMULATOR))),
        ("infrastructure faults (not counted)", len(verdict.faults(Fault.INFRASTRUCTURE))),
    ]
    facts = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in cells)
    cls = "verdict flag" if verdict.status is not Status.PASS else "verdict"
    items = [
        f"<li>{_e(r.run_id)}: {_e(r.outcome or 'no outcome')}: {_e(r.reason)}</li>"
        for r in verdict.failures
    ]
    items += [
        f"<li>{_e(r.run_id)}: {_e(r.fault.value if r.fault else '')} fault: {_e(r.reason)}</li>"
        for r in verdict.uncounted
    ]
    listing = f'<ul class="failures">{"".join(items)}</ul>' if items else ""
    return f'<div class="{cls}"><h4>Verdict</h4><dl class="facts">{facts}</dl>{listing}</div>'
