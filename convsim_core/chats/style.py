"""How customers write, in a sentence a persona can hold: length, politeness, questions, case."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

from convsim_core.chats.records import Chat

_POLITE = re.compile(r"\b(?:please|thanks?|thank you|appreciate)\b", re.I)


def persona_sketch(chats: Sequence[Chat]) -> str:
    turns = [text for chat in chats for text in chat.customer_texts if text.strip()]
    if not turns:
        return ""
    lengths = [len(text.split()) for text in turns]
    words = round(statistics.median(lengths))
    size = "short" if words <= 8 else "medium-length" if words <= 20 else "long"
    parts = [f"Writes {size} messages (about {words} words)"]
    polite = sum(bool(_POLITE.search(text)) for text in turns) / len(turns)
    if polite >= 0.3:
        parts.append("polite (says please and thanks)")
    elif polite < 0.05:
        parts.append("matter-of-fact, rarely says please or thanks")
    questions = sum("?" in text for text in turns) / len(turns)
    if questions >= 0.4:
        parts.append("asks a lot of direct questions")
    lower = sum(text[:1].islower() for text in turns) / len(turns)
    if lower >= 0.5:
        parts.append("often types in lower case")
    return ", ".join(parts) + "."
