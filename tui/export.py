"""Saving transcripts from the TUI: a copy of the recorded file, or Markdown for reading,
and recording a person's verdict on the outcome (play mode)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from convsim_core.models import SCHEMA_VERSION, ConversationResult, Message, Outcomes
from convsim_core.persistence import rewrite_result
from convsim_core.serialization import to_json
from tui.formatting import format_clock, humanize, role_label

PERSON = "person"


def save_transcript(
    destination: Path,
    *,
    recorded: Path | None,
    header: dict[str, Any],
    messages: Sequence[Message],
    result: ConversationResult | None,
    title: str = "",
) -> Path:
    """Write the conversation to ``destination``; ``.md`` gives Markdown, anything else JSONL.

    A JSONL copy is the file the runner recorded (partial while the run goes on) when there is
    one, so it reads back exactly like the original.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.suffix.lower() in (".md", ".markdown"):
        destination.write_text(to_markdown(title, messages, result), encoding="utf-8")
        return destination
    if recorded is not None and recorded.exists():
        if recorded.resolve() != destination.resolve():
            shutil.copyfile(recorded, destination)
        return destination
    lines = [{"schema_version": SCHEMA_VERSION, "type": "header", **header}]
    for index, message in enumerate(messages):
        lines.append({**to_json(message), "index": index})
    if result is not None:
        lines.append(to_json(result))
    text = "".join(
        json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines
    )
    destination.write_text(text, encoding="utf-8")
    return destination


def to_markdown(title: str, messages: Sequence[Message], result: ConversationResult | None) -> str:
    lines = [f"# {title or 'Conversation'}", ""]
    for index, message in enumerate(messages):
        stamp = format_clock(message.timestamp)
        lines.append(f"**{role_label(message.sender)}** · #{index + 1} · {stamp}")
        lines.append("")
        lines.append(message.display_text())
        lines.append("")
    if result is not None:
        outcome = result.conversation.outcome
        lines.append("---")
        lines.append("")
        lines.append(f"- Outcome: {outcome.name if outcome else 'none'}")
        if result.termination_reason is not None:
            lines.append(f"- Ended: {humanize(result.termination_reason.value)}")
        if result.outcome_overridden_by:
            lines.append(f"- Outcome set by: {result.outcome_overridden_by}")
    return "\n".join(lines) + "\n"


def apply_outcome_choice(
    result: ConversationResult, label: str | None, outcomes: Outcomes
) -> ConversationResult:
    """The result with the person's outcome; marked ``outcome_overridden_by`` when it changed.

    ``label=None`` means the person says no listed outcome applies.
    """
    chosen = outcomes.get_outcome_by_name(label) if label is not None else None
    if label is not None and chosen is None:
        raise ValueError(f"{label!r} is not one of this scenario's outcomes")
    current = result.conversation.outcome
    if (current.name if current else None) == (chosen.name if chosen else None):
        return result
    conversation = attrs.evolve(result.conversation, outcome=chosen)
    return attrs.evolve(result, conversation=conversation, outcome_overridden_by=PERSON)


def record_outcome_choice(
    path: Path | None, result: ConversationResult, label: str | None, outcomes: Outcomes
) -> ConversationResult:
    """Apply the person's choice and rewrite the transcript's result line when it changed."""
    updated = apply_outcome_choice(result, label, outcomes)
    if path is not None and updated is not result:
        rewrite_result(path, updated)
    return updated
