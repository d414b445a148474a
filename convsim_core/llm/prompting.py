"""Small text helpers shared by the prompts: transcripts, bullet lists, one-line answers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from convsim_core.models import Conversation, Intent, ParticipantRole

_WHITESPACE = re.compile(r"\s+")


def role_label(role: ParticipantRole) -> str:
    return "Customer" if role is ParticipantRole.CUSTOMER else "Agent"


def format_transcript(conversation: Conversation) -> str:
    """Numbered lines ``[1] Customer: ...``; numbers are 1-based so a judge can point at one."""
    if not conversation.messages:
        return "(no messages yet)"
    return "\n".join(
        f"[{i}] {role_label(m.sender)}: {m.display_text()}"
        for i, m in enumerate(conversation.messages, start=1)
    )


def bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def facts_block(facts: Mapping[str, str]) -> str:
    return bullets(f"{key}: {value}" for key, value in facts.items())


def intent_line(intent: Intent | None) -> str:
    if intent is None:
        return "not given"
    return f"{intent.description} (the {intent.role.value}'s goal)"


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace and shorten: rationales and reasons end up in one-line UI cells."""
    flat = _WHITESPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."
