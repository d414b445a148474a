"""Self-contained HTML reports: one page for the batch, one chat page per conversation.

Everything is inline (CSS, a few lines of JS, SVG charts) so the folder can be zipped, mailed
or opened from a CI artifact without a network. Conversation pages sit next to the report in
``<report>_files/<batch>/<run id>.html`` and every link is relative, so the whole set moves
together.

Just over 400 lines: the inline CSS and script are part of the page they style, and one
module keeps the markup and the escaping of every bot-written string (``_e``) in one place.
"""

from __future__ import annotations

import hashlib
import html
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs

from convsim_core.atomic import write_text_atomic
from convsim_core.batch.compare import ERROR, Comparison
from convsim_core.batch.html_verdict import verdict_block
from convsim_core.batch.plan import safe_name
from convsim_core.batch.records import BatchRecords, ConversationRecord
from convsim_core.batch.stats import proportion
from convsim_core.batch.summary import BatchSummary, ScenarioSummary
from convsim_core.models import ParticipantRole
from convsim_core.persistence import read_transcript
from convsim_core.serialization import SchemaError
from convsim_core.verdict_why import why

logger = logging.getLogger(__name__)

_CSS = """
:root { --fg:#1d2330; --muted:#5f6b7a; --line:#dde3ea; --bg:#f6f8fa; --accent:#2f6fde; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  margin: 0; background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.muted { color: var(--muted); } .flag { color: #b42318; font-weight: 600; }
section.card { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 16px 20px; margin: 16px 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); }
th { font-weight: 600; color: var(--muted); } td.num, th.num { text-align: right; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
svg.chart { display: block; width: 100%; max-width: 640px; height: auto; }
svg.chart text { font: 12px system-ui, sans-serif; fill: var(--fg); }
input#filter { padding: 6px 10px; width: 280px; border: 1px solid var(--line); border-radius: 6px; }
.chat { display: flex; flex-direction: column; gap: 8px; margin-top: 12px; }
.bubble { max-width: 72%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap;
  word-wrap: break-word; }
.bubble.customer { align-self: flex-start; background: #fff; border: 1px solid var(--line); }
.bubble.agent { align-self: flex-end; background: #dfeafe; }
.bubble .meta { display: block; font-size: 11px; color: var(--muted); margin-bottom: 2px; }
.bubble.reached { outline: 2px solid #3fa34d; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
code { background: var(--bg); padding: 1px 4px; border-radius: 4px; }
"""

_FILTER_JS = """
(function () {
  var box = document.getElementById("filter");
  if (!box) { return; }
  box.addEventListener("input", function () {
    var needle = box.value.toLowerCase();
    var rows = document.querySelectorAll("tr.conv");
    for (var i = 0; i < rows.length; i++) {
      var text = rows[i].textContent.toLowerCase();
      rows[i].style.display = text.indexOf(needle) === -1 ? "none" : "";
    }
  });
})();
"""

_PALETTE = ("#2f6fde", "#3fa34d", "#e8a33d", "#8e5bd6", "#1aa3a3", "#d6568e", "#7a8896")
_ERROR_COLOUR = "#b42318"
_NONE_COLOUR = "#9aa5b1"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _colour(name: str) -> str:
    if name == ERROR:
        return _ERROR_COLOUR
    if name == "(none)":
        return _NONE_COLOUR
    index = int(hashlib.sha256(name.encode()).hexdigest()[:6], 16) % len(_PALETTE)
    return _PALETTE[index]


def _page(title: str, body: str, *, script: str = "") -> str:
    js = f"<script>{script}</script>" if script else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No favicon request: keeps file:// pages free of 404s and console errors.
        '<link rel="icon" href="data:,">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main>{js}</body></html>\n"
    )


@attrs.frozen
class ReportBatch:
    """One batch shown in a report: its label, its transcripts and its summary."""

    label: str
    records: BatchRecords
    summary: BatchSummary


def _categories(row: ScenarioSummary) -> list[tuple[str, int]]:
    items = list(row.outcomes.items())
    if row.errors:
        items.append((ERROR, row.errors))
    return items


def outcome_chart(row: ScenarioSummary, *, other: ScenarioSummary | None = None) -> str:
    """Horizontal bars: share of each outcome (and errors) among the scenario's runs.

    With ``other`` (the old batch of a comparison) each outcome gets a pale bar for the old
    share above the bar for the new one.
    """
    names = [name for name, _ in _categories(row)]
    if other is not None:
        names = list(dict.fromkeys([*(n for n, _ in _categories(other)), *names]))
    if not names:
        return '<p class="muted">No finished conversations.</p>'
    label_w, bar_w, value_w = 150, 360, 110
    width = label_w + bar_w + value_w
    row_h = 34 if other is not None else 24
    height = row_h * len(names) + 8
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}"'
        f' height="{height}">'
        f"<title>Outcome distribution of {_e(row.scenario)}</title>"
    ]
    for i, name in enumerate(names):
        y = 4 + i * row_h
        colour = _colour(name)
        parts.append(f'<text x="0" y="{y + 15}">{_e(name)}</text>')
        bars: list[tuple[ScenarioSummary, float]] = []
        if other is not None:
            bars.append((other, 0.35))
        bars.append((row, 1.0))
        bar_h = 12 if other is not None else 16
        for j, (source, opacity) in enumerate(bars):
            count = source.errors if name == ERROR else source.outcomes.get(name, 0)
            share = proportion(count, source.runs)
            w = max(1.0, bar_w * share) if count else 0.0
            by = y + j * (bar_h + 2)
            parts.append(
                f'<rect class="bar" x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_h}"'
                f' rx="2" fill="{colour}" fill-opacity="{opacity}">'
                f"<title>{_e(name)}: {count}/{source.runs}</title></rect>"
            )
            if j == len(bars) - 1:
                text = f"{count} ({share:.0%})"
                if other is not None:
                    old = other.errors if name == ERROR else other.outcomes.get(name, 0)
                    text = f"{old} \u2192 {count} ({share:.0%})"
                parts.append(
                    f'<text x="{label_w + bar_w + 8}" y="{by + bar_h - 2}">{_e(text)}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


def _stats_table(row: ScenarioSummary) -> str:
    terminations = ", ".join(f"{_e(k)} {v}" for k, v in row.terminations.items()) or "-"
    cells = [
        ("runs", row.runs),
        ("planned", "-" if row.planned is None else row.planned),
        ("unfinished", row.unfinished),
        ("errors", row.errors),
        ("messages (mean / median)", f"{row.messages_mean:.1f} / {row.messages_median:g}"),
        ("duration s (mean / median)", f"{row.duration_mean:.2f} / {row.duration_median:.2f}"),
        ("LLM calls", row.usage.llm_calls),
        (
            "tokens (prompt + completion)",
            f"{row.usage.prompt_tokens} + {row.usage.completion_tokens}",
        ),
        ("cache hits", row.usage.cache_hits),
        (
            "unreadable bot replies",
            f"{row.protocol_errors} in {row.protocol_error_runs} conversation(s),"
            f" {row.unreadable} ended unreadable_replies",
        ),
    ]
    facts = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in cells)
    return f'<dl class="facts">{facts}<dt>termination</dt><dd>{terminations}</dd></dl>'


def conversation_href(assets: str, label: str, run_id: str) -> str:
    return f"{quote(assets)}/{quote(label)}/{quote(safe_name(run_id))}.html"


def _conversation_rows(records: Sequence[ConversationRecord], assets: str, label: str) -> str:
    rows = []
    for r in records:
        status = ("error" if r.error else "done") if r.finished else "unfinished"
        href = conversation_href(assets, label, r.run_id)
        rows.append(
            f'<tr class="conv"><td><a class="transcript" href="{_e(href)}">{_e(r.run_id)}</a></td>'
            f"<td>{_e(status)}</td><td>{_e(r.outcome or '-')}</td>"
            f"<td>{_e(r.termination or '-')}</td>"
            f'<td class="num">{r.messages}</td><td class="num">{r.duration:.2f}</td>'
            f'<td class="num">{"" if r.seed is None else _e(r.seed)}</td></tr>'
        )
    head = (
        "<tr><th>conversation</th><th>status</th><th>outcome</th><th>termination</th>"
        '<th class="num">messages</th><th class="num">seconds</th><th class="num">seed</th></tr>'
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _comparison_section(comparison: Comparison) -> str:
    rows = []
    for c in comparison.changes:
        cls = ' class="flag"' if c.flagged else ""
        rows.append(
            f"<tr><td>{_e(c.scenario)}</td><td>{_e(c.outcome)}</td>"
            f'<td class="num">{c.old_count}/{c.old_runs} ({c.old_rate:.0%})</td>'
            f'<td class="num">{c.new_count}/{c.new_runs} ({c.new_rate:.0%})</td>'
            f'<td class="num">{c.delta * 100:+.1f}</td><td class="num">{c.p_value:.3g}</td>'
            f'<td class="num">{c.p_adjusted:.3g}</td>'
            f"<td{cls}>{'changed' if c.flagged else ''}</td></tr>"
        )
    head = (
        '<tr><th>scenario</th><th>outcome</th><th class="num">old</th><th class="num">new</th>'
        '<th class="num">change (pts)</th><th class="num">p</th><th class="num">p (Holm)</th>'
        "<th></th></tr>"
    )
    flagged = len(comparison.flagged)
    verdict = (
        f'<p class="flag">{flagged} outcome rate(s) changed beyond chance.</p>'
        if flagged
        else "<p>No outcome rate changed beyond chance.</p>"
    )
    return (
        '<section class="card" id="comparison"><h2>Comparison</h2>'
        f'<p class="muted">Fisher\'s exact test (two-sided) per outcome; flagged when the '
        f"Holm-adjusted p-value is below {comparison.alpha:g}.</p>{verdict}"
        f"<table>{head}{''.join(rows)}</table></section>"
    )


def render_index(
    batches: Sequence[ReportBatch],
    *,
    assets: str,
    title: str = "convsim batch report",
    comparison: Comparison | None = None,
) -> str:
    """The report page. With a comparison, ``batches`` is ``[old, new]``."""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [f'<h1>{_e(title)}</h1><p class="muted">Generated {generated}.</p>']
    if comparison is not None:
        body.append(_comparison_section(comparison))
    for batch in batches:
        summary = batch.summary
        old = batches[0].summary if comparison is not None and batch is batches[-1] else None
        folders = ", ".join(summary.folders)
        ids = ", ".join(summary.batch_ids) or "-"
        body.append(
            f'<h2>{_e(batch.label)}</h2><p class="muted">{_e(folders)} &middot; batch {_e(ids)}</p>'
        )
        for problem in summary.problems:
            body.append(f'<p class="flag">{_e(problem)}</p>')
        for row in summary.scenarios:
            other = old.scenario(row.scenario) if old is not None else None
            records = [r for r in batch.records.records if r.scenario == row.scenario]
            anchor = f"{batch.label}-{row.scenario}"
            body.append(
                f'<section class="card" id="{_e(anchor)}"><h3>{_e(row.scenario)}</h3>'
                f"{outcome_chart(row, other=other)}{_stats_table(row)}"
                f"{verdict_block(summary.verdict(row.scenario))}"
                "<h3>Conversations</h3>"
                f"{_conversation_rows(records, assets, batch.label)}</section>"
            )
    filter_box = '<p><input id="filter" type="search" placeholder="Filter conversations"></p>'
    body.insert(1, filter_box)
    return _page(title, "".join(body), script=_FILTER_JS)


def render_conversation(record: ConversationRecord, *, back: str, rerun: str) -> str:
    """One conversation as a chat, with what the batch recorded about it."""
    try:
        transcript = read_transcript(record.path)
        messages = transcript.messages
        transcript_header: dict[str, Any] | None = transcript.header
    except (OSError, SchemaError) as exc:
        logger.warning("cannot read %s: %s", record.path, exc)
        messages = ()
        transcript_header = None
    result = record.result
    judgement = result.judgement if result else None
    reached = judgement.message_index if judgement else None
    bubbles = []
    for index, message in enumerate(messages):
        side = "customer" if message.sender is ParticipantRole.CUSTOMER else "agent"
        mark = " reached" if index == reached else ""
        stamp = message.timestamp.strftime("%H:%M:%S")
        text = _e(message.display_text()).replace("\n", "<br>")
        bubbles.append(
            f'<div class="bubble {side}{mark}"><span class="meta">{_e(side)} &middot; {stamp}'
            f"</span>{text}</div>"
        )
    facts = [
        ("scenario", record.scenario),
        ("seed", "-" if record.seed is None else record.seed),
        ("outcome", record.outcome or "-"),
        ("termination", _termination(record)),
        ("why", why(judgement) if result else "-"),
        ("duration", f"{record.duration:.2f} s"),
    ]
    if result is not None:
        u = result.usage
        facts.append(
            (
                "LLM usage",
                f"{u.llm_calls} calls, {u.total_tokens} tokens, {u.cache_hits} cache hits",
            )
        )
    if result is not None and result.protocol_errors:
        shown = "; ".join(result.protocol_errors[:5])
        more = (
            f" and {len(result.protocol_errors) - 5} more"
            if len(result.protocol_errors) > 5
            else ""
        )
        facts.append(("unreadable replies", f"{len(result.protocol_errors)}: {shown}{more}"))
    bot = transcript_header.get("bot") if transcript_header else None
    if isinstance(bot, dict):
        facts.append(
            ("bot", " ".join(str(bot.get(k)) for k in ("kind", "url", "preset") if bot.get(k)))
        )
        ids = bot.get("ids")
        if isinstance(ids, dict) and ids:
            facts.append(("ids the bot saw", ", ".join(f"{k} = {v}" for k, v in ids.items())))
    if record.error:
        facts.append(("error", record.error))
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    body = (
        f'<p><a class="back" href="{_e(back)}">&larr; back to the report</a></p>'
        f"<h1>{_e(record.run_id)}</h1>"
        f'<section class="card"><dl class="facts">{dl}</dl>'
        f'<p class="muted">Re-run it: <code>{_e(rerun)}</code></p></section>'
        f'<section class="card chat">{"".join(bubbles) or "<p>No messages.</p>"}</section>'
    )
    return _page(f"{record.run_id} - convsim", body)


def _termination(record: ConversationRecord) -> str:
    result = record.result
    if result is None:
        return "unfinished (no result line)"
    detail = f" ({result.termination_detail})" if result.termination_detail else ""
    return f"{record.termination or '-'}{detail}"


def _rerun_hint(record: ConversationRecord) -> str:
    """``watch --from`` for a full simulation; ``connect`` against the recorded bot otherwise."""
    from convsim_core.batch.manifest import BatchFolderError
    from convsim_core.batch.rerun import rerun_command

    folder = record.path.parent.resolve()
    try:
        return rerun_command(folder, record.run_id)
    except BatchFolderError:
        return f"convsim watch --from {folder / record.run_id}"


def write_html_report(
    path: str | Path,
    batches: Sequence[ReportBatch],
    *,
    comparison: Comparison | None = None,
    title: str = "convsim batch report",
) -> list[Path]:
    """Write the report and its conversation pages; returns every file written."""
    path = Path(path)
    assets = f"{path.stem}_files"
    written: list[Path] = []
    for batch in batches:
        folder = path.parent / assets / batch.label
        folder.mkdir(parents=True, exist_ok=True)
        for record in batch.records.records:
            page = folder / f"{safe_name(record.run_id)}.html"  # run ids come from files
            back = "../../" + quote(path.name)
            rerun = _rerun_hint(record)
            page.write_text(render_conversation(record, back=back, rerun=rerun), encoding="utf-8")
            written.append(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(
        path, render_index(batches, assets=assets, title=title, comparison=comparison)
    )
    written.insert(0, path)
    return written
