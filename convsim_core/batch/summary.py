"""Batch results computed from the transcripts on disk, never from memory.

Reading the folder (or several shard folders) is what makes the summary of a resumed or
sharded batch right: whatever process wrote a conversation, its transcript is the record.

Just over 400 lines: the summary and its JSON, CSV and terminal renderings change together
(a new column is a field and three renderings), so they stay in one module.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import statistics
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from convsim_core.atomic import write_text_atomic
from convsim_core.batch.evaluate import evaluate
from convsim_core.batch.executor import NO_OUTCOME
from convsim_core.batch.records import BatchRecords, ConversationRecord, collect
from convsim_core.batch.stats import proportion
from convsim_core.batch.verdict import (
    ScenarioVerdict,
    format_verdicts,
    pass_at_k,
    pass_hat_k,
    weighted_pass_rate,
)
from convsim_core.models import Usage
from convsim_core.verdict_why import miss_category

logger = logging.getLogger(__name__)

SUMMARY_JSON = "summary.json"
SUMMARY_CSV = "summary.csv"
ALL = "ALL"


@attrs.frozen
class ScenarioSummary:
    scenario: str
    runs: int
    """Finished conversations (with or without an error)."""
    planned: int | None
    unfinished: int
    """Transcripts cut short (no result line, or stopped by an interruption)."""
    outcomes: dict[str, int]
    """Outcome counts over finished conversations without an error; ``(none)``: no outcome."""
    terminations: dict[str, int]
    errors: int
    error_runs: tuple[str, ...]
    messages_mean: float
    messages_median: float
    duration_mean: float
    duration_median: float
    usage: Usage
    protocol_errors: int = 0
    """Bot replies convsim could not read, over the scenario's finished conversations."""
    protocol_error_runs: int = 0
    """Finished conversations with at least one unreadable reply."""
    unreadable: int = 0
    """Conversations that ended with ``unreadable_replies`` (the bot was never understood)."""
    no_outcome_why: dict[str, int] = attrs.field(factory=dict)
    """Conversations with no outcome by nearest miss ("refunded: negated"), most common first."""

    @property
    def missing(self) -> int | None:
        if self.planned is None:
            return None
        return max(0, self.planned - self.runs - self.unfinished)

    def rate(self, outcome: str) -> float:
        return proportion(self.outcomes.get(outcome, 0), self.runs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "runs": self.runs,
            "planned": self.planned,
            "unfinished": self.unfinished,
            "missing": self.missing,
            "outcomes": dict(self.outcomes),
            "outcome_rates": {k: round(self.rate(k), 6) for k in self.outcomes},
            "terminations": dict(self.terminations),
            "errors": self.errors,
            "error_runs": list(self.error_runs),
            "messages": {"mean": self.messages_mean, "median": self.messages_median},
            "duration_seconds": {"mean": self.duration_mean, "median": self.duration_median},
            "llm_calls": self.usage.llm_calls,
            "prompt_tokens": self.usage.prompt_tokens,
            "completion_tokens": self.usage.completion_tokens,
            "tokens": self.usage.total_tokens,
            "cache_hits": self.usage.cache_hits,
            "protocol_errors": self.protocol_errors,
            "protocol_error_runs": self.protocol_error_runs,
            "unreadable_replies": self.unreadable,
            "no_outcome_why": dict(self.no_outcome_why),
        }


@attrs.frozen
class BatchSummary:
    scenarios: tuple[ScenarioSummary, ...]
    total: ScenarioSummary
    folders: tuple[str, ...] = ()
    batch_ids: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    verdicts: tuple[ScenarioVerdict, ...] = ()
    """One per scenario with an ``[expect]`` table."""
    config_hashes: tuple[str, ...] = ()
    """The configuration fingerprint of each batch read (see ``confighash``)."""

    def scenario(self, name: str) -> ScenarioSummary | None:
        return next((s for s in self.scenarios if s.scenario == name), None)

    def verdict(self, name: str) -> ScenarioVerdict | None:
        return next((v for v in self.verdicts if v.scenario == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": datetime.now(UTC).isoformat(),
            "folders": list(self.folders),
            "batch_ids": list(self.batch_ids),
            "problems": list(self.problems),
            "config_hashes": list(self.config_hashes),
            "scenarios": [s.to_dict() for s in self.scenarios],
            "total": self.total.to_dict(),
            "verdicts": [v.to_dict() for v in self.verdicts],
            "weighted_pass_rate": weighted_pass_rate(self.verdicts),
        }


def _round(value: float) -> float:
    return round(value, 3)


def summarize_records(
    name: str, records: Iterable[ConversationRecord], planned: int | None
) -> ScenarioSummary:
    finished: list[ConversationRecord] = []
    unfinished = 0
    for record in records:
        if record.finished:
            finished.append(record)
        else:
            unfinished += 1
    outcomes: Counter[str] = Counter()
    terminations: Counter[str] = Counter()
    error_runs: list[str] = []
    usage = Usage()
    protocol_errors = protocol_error_runs = 0
    misses: Counter[str] = Counter()
    for record in finished:
        assert record.result is not None
        terminations[record.termination or "unknown"] += 1
        seen = len(record.result.protocol_errors)
        protocol_errors += seen
        protocol_error_runs += 1 if seen else 0
        usage = usage + record.result.usage
        if record.error is not None:
            error_runs.append(record.run_id)
        else:
            outcomes[record.outcome or NO_OUTCOME] += 1
            if record.outcome is None:
                misses[miss_category(record.result.judgement)] += 1
    messages = [r.messages for r in finished]
    durations = [r.duration for r in finished]
    return ScenarioSummary(
        scenario=name,
        runs=len(finished),
        planned=planned,
        unfinished=unfinished,
        outcomes=dict(sorted(outcomes.items(), key=lambda kv: (-kv[1], kv[0]))),
        terminations=dict(sorted(terminations.items(), key=lambda kv: (-kv[1], kv[0]))),
        errors=len(error_runs),
        error_runs=tuple(error_runs),
        messages_mean=_round(statistics.fmean(messages)) if messages else 0.0,
        messages_median=_round(statistics.median(messages)) if messages else 0.0,
        duration_mean=_round(statistics.fmean(durations)) if durations else 0.0,
        duration_median=_round(statistics.median(durations)) if durations else 0.0,
        usage=usage,
        protocol_errors=protocol_errors,
        protocol_error_runs=protocol_error_runs,
        unreadable=terminations.get("unreadable_replies", 0),
        no_outcome_why=dict(sorted(misses.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def summarize(batch: BatchRecords) -> BatchSummary:
    planned = batch.planned_by_scenario()
    by_scenario: dict[str, list[ConversationRecord]] = {}
    for manifest in batch.manifests:  # keep the batch's scenario order, even for empty ones
        for entry in manifest.plan.scenarios:
            by_scenario.setdefault(entry.key, [])
    for record in batch.records:
        by_scenario.setdefault(record.scenario, []).append(record)
    scenarios = tuple(
        summarize_records(name, records, planned.get(name) if batch.manifests else None)
        for name, records in by_scenario.items()
    )
    total = summarize_records(
        ALL, batch.records, sum(planned.values()) if batch.manifests else None
    )
    batch_ids = tuple(dict.fromkeys(m.batch_id for m in batch.manifests))
    config_hashes = tuple(
        dict.fromkeys(
            str(m.settings["config"].get("hash"))
            for m in batch.manifests
            if isinstance(m.settings.get("config"), dict)
        )
    )
    return BatchSummary(
        scenarios,
        total,
        tuple(str(f) for f in batch.folders),
        batch_ids,
        batch.problems,
        evaluate(batch),
        config_hashes,
    )


def csv_text(summary: BatchSummary) -> str:
    rows = [*summary.scenarios, summary.total]
    outcome_names = sorted({name for row in rows for name in row.outcomes})
    reasons = sorted({name for row in rows for name in row.terminations})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "scenario",
            "runs",
            "planned",
            "unfinished",
            "missing",
            "errors",
            "mean_messages",
            "median_messages",
            "mean_duration_s",
            "median_duration_s",
            "llm_calls",
            "prompt_tokens",
            "completion_tokens",
            "tokens",
            "cache_hits",
            "protocol_errors",
            "protocol_error_runs",
            "unreadable_replies",
            *(f"outcome:{name}" for name in outcome_names),
            *(f"termination:{name}" for name in reasons),
            *VERDICT_COLUMNS,
            "no_outcome_why",
        ]
    )
    for row in rows:
        verdict = summary.verdict(row.scenario) if row is not summary.total else None
        writer.writerow(
            [
                row.scenario,
                row.runs,
                "" if row.planned is None else row.planned,
                row.unfinished,
                "" if row.missing is None else row.missing,
                row.errors,
                row.messages_mean,
                row.messages_median,
                row.duration_mean,
                row.duration_median,
                row.usage.llm_calls,
                row.usage.prompt_tokens,
                row.usage.completion_tokens,
                row.usage.total_tokens,
                row.usage.cache_hits,
                row.protocol_errors,
                row.protocol_error_runs,
                row.unreadable,
                *(row.outcomes.get(name, 0) for name in outcome_names),
                *(row.terminations.get(name, 0) for name in reasons),
                *_verdict_cells(verdict),
                "; ".join(f"{why} ({count})" for why, count in row.no_outcome_why.items()),
            ]
        )
    return out.getvalue()


VERDICT_COLUMNS = (
    "verdict",
    "min_pass_rate",
    "passes",
    "counted",
    "pass_rate",
    "wilson_low",
    "wilson_high",
    "pass^k",
    "pass@k",
    "decided_after",
    "simulator_faults",
    "infrastructure_faults",
)


def _verdict_cells(verdict: ScenarioVerdict | None) -> list[Any]:
    if verdict is None:
        return [""] * len(VERDICT_COLUMNS)
    from convsim_core.batch.attribution import Fault

    low, high = verdict.interval
    rate = verdict.pass_rate
    hat = pass_hat_k(verdict.passes, verdict.runs, verdict.k)
    at = pass_at_k(verdict.passes, verdict.runs, verdict.k)
    decided = verdict.decided_after
    return [
        verdict.status.value,
        verdict.min_pass_rate,
        verdict.passes,
        verdict.runs,
        "" if rate is None else round(rate, 6),
        round(low, 6),
        round(high, 6),
        "" if hat is None else round(hat, 6),
        "" if at is None else round(at, 6),
        "" if decided is None else decided,
        len(verdict.faults(Fault.SIMULATOR)),
        len(verdict.faults(Fault.INFRASTRUCTURE)),
    ]


def write_summary(folder: str | Path, summary: BatchSummary) -> tuple[Path, Path]:
    folder = Path(folder)
    json_path = folder / SUMMARY_JSON
    csv_path = folder / SUMMARY_CSV
    write_text_atomic(json_path, json.dumps(summary.to_dict(), indent=2) + "\n")
    write_text_atomic(csv_path, csv_text(summary))
    return json_path, csv_path


def summarize_folder(folder: str | Path, *, write: bool = True) -> BatchSummary:
    """Summary of one batch folder from its transcripts; written next to them by default."""
    summary = summarize(collect([folder]))
    if write:
        write_summary(folder, summary)
    return summary


def _pct(count: int, total: int) -> str:
    return f"{100.0 * count / total:.0f}%" if total else "-"


def format_table(summary: BatchSummary) -> str:
    """The summary as plain text: one stats row per scenario, then outcome distributions."""
    rows = list(summary.scenarios)
    if len(rows) > 1:
        rows.append(summary.total)
    head = ["scenario", "runs", "planned", "unfin.", "errors", "msgs avg/med", "secs avg/med"]
    head += ["llm calls", "tokens", "cache"]
    table = [head]
    for row in rows:
        table.append(
            [
                row.scenario,
                str(row.runs),
                "-" if row.planned is None else str(row.planned),
                str(row.unfinished),
                str(row.errors),
                f"{row.messages_mean:.1f}/{row.messages_median:g}",
                f"{row.duration_mean:.2f}/{row.duration_median:.2f}",
                str(row.usage.llm_calls),
                str(row.usage.total_tokens),
                str(row.usage.cache_hits),
            ]
        )
    lines = _columns(table)
    lines.append("")
    lines.append("outcomes (share of finished runs; errors counted apart):")
    for row in rows:
        parts = [
            f"{name} {count} ({_pct(count, row.runs)})" for name, count in row.outcomes.items()
        ]
        if row.errors:
            parts.append(f"error {row.errors} ({_pct(row.errors, row.runs)})")
        lines.append(f"  {row.scenario}: {', '.join(parts) or 'no finished runs'}")
    lines.append("termination reasons:")
    for row in rows:
        parts = [f"{name} {count}" for name, count in row.terminations.items()]
        lines.append(f"  {row.scenario}: {', '.join(parts) or '-'}")
    unreadable = [row for row in rows if row.protocol_errors]
    if unreadable:
        lines.append("unreadable bot replies (protocol errors):")
        for row in unreadable:
            ended = f", {row.unreadable} ended unreadable_replies" if row.unreadable else ""
            lines.append(
                f"  {row.scenario}: {row.protocol_errors} in {row.protocol_error_runs}"
                f" conversation(s){ended}"
            )
    if summary.verdicts:
        lines.append("")
        lines.append("verdicts ([expect]; simulator/infrastructure faults not counted):")
        lines.append(format_verdicts(summary.verdicts))
    for problem in summary.problems:
        lines.append(f"note: {problem}")
    return "\n".join(lines)


def _columns(table: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for n, row in enumerate(table):
        cells = [
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines
