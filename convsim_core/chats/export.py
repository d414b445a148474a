"""Fine-tuning data: chats as OpenAI chat-format JSONL that teaches a model to play one side.

Each chat becomes ``{"messages": [system, ...turns]}`` where the side to learn speaks as
``assistant`` and the other side as ``user``. The system prompt is the one convsim's own LLM
participant uses (intent and persona), and a chat the learned side opens starts with the same
"chat window has just opened" line the participant sends, so the fine-tuned model sees at
inference exactly the shape it was trained on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from convsim_core.chats.records import Chat
from convsim_core.chats.style import persona_sketch
from convsim_core.llm.participant import OPENING_LINES, build_system_prompt
from convsim_core.models import Intent, ParticipantRole

EXPORT_FORMATS = ("openai-chat",)


def openai_chat_lines(chats: Iterable[Chat], role: ParticipantRole) -> Iterator[str]:
    for chat in chats:
        record = openai_chat_record(chat, role)
        if record is not None:
            yield json.dumps(record, ensure_ascii=False)


def openai_chat_record(chat: Chat, role: ParticipantRole) -> dict[str, Any] | None:
    """None for a chat in which ``role`` never speaks (nothing to learn from it)."""
    if not chat.texts(role):
        return None
    intent = f"get help with {chat.intent}" if chat.intent else "get help from customer service"
    persona = persona_sketch([chat]) if role is ParticipantRole.CUSTOMER else ""
    system = build_system_prompt(role, persona, [Intent(role=role, description=intent)], {})
    messages: list[dict[str, str]] = [{"role": "system", "content": system}]
    if chat.turns and chat.turns[0].role is role:
        messages.append({"role": "user", "content": OPENING_LINES[role]})
    for turn in chat.turns:
        speaker = "assistant" if turn.role is role else "user"
        if messages[-1]["role"] == speaker and len(messages) > 1:
            messages[-1]["content"] += "\n" + turn.text  # a burst of messages is one turn
        else:
            messages.append({"role": speaker, "content": turn.text})
    return {"messages": messages}
