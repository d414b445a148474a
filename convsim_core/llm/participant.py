"""A simulated customer or agent played by a chat model.

The model always speaks as itself: the conversation is replayed from the participant's point of
view (its own messages as ``AIMessage``, the other side's as ``HumanMessage``) under a system
prompt with its persona, its goals and the facts it knows. It ends the chat by answering
``[END]``; the runner then records ``participant_finished``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from convsim_core.llm.calls import invoke
from convsim_core.llm.prompting import bullets, facts_block
from convsim_core.models import Conversation, Intent, Message, ParticipantRole
from convsim_core.participant import Participant
from convsim_core.usage import UsageMeter

logger = logging.getLogger(__name__)

END_MARKER = "[END]"

_END = re.compile(r"\[\s*end\s*\]|<\s*end\s*>", re.IGNORECASE)
_LABELS = r"(?:the\s+)?(?:customer|client|user|human|agent|support\s+agent|assistant|ai|bot)"
_PREFIX = re.compile(rf"^\s*[*_]*\s*{_LABELS}\s*[*_]*\s*:\s*[*_]*\s*", re.IGNORECASE)
_QUOTED = re.compile(r'^\s*"(?P<body>[^"]*)"\s*$', re.DOTALL)

_CUSTOMER_RULES = f"""\
How to write:
- Write like a real customer typing in a chat window: short messages, usually one or two \
sentences, plain language, no lists, no markdown.
- Say one thing at a time, answer the agent's questions, and ask when something is unclear.
- You are the customer, not an assistant: never offer help, never write the agent's lines, \
never mention being an AI or a simulation.
- Write only your next message, without a name or "Customer:" in front of it.
- When the conversation is over (your goal is met, you give up, or both sides have said \
goodbye), reply with exactly {END_MARKER} and nothing else."""

_AGENT_RULES = f"""\
How to write:
- Be friendly, professional and concise: a few sentences per message, plain text, no \
markdown.
- Ask for the details you need, one or two questions at a time, and confirm what you did.
- Rely only on the facts you were given; if something is not covered, say you will check or \
offer to escalate instead of inventing policies or data.
- Write only your next message, without a name or "Agent:" in front of it.
- When the conversation is over (the customer's request is handled or they have left, and \
goodbyes are said), reply with exactly {END_MARKER} and nothing else."""

OPENING_LINES: dict[ParticipantRole, str] = {
    ParticipantRole.CUSTOMER: "(The chat window has just opened. Write your first message.)",
    ParticipantRole.AGENT: "(A customer has just opened the chat. Write your greeting.)",
}


class LLMParticipant(Participant):
    """A customer or agent whose every turn is one chat-model call.

    Stateless between turns: the next message depends only on the conversation, so the
    response cache replays a conversation exactly when it is run again with the same seed.
    """

    def __init__(
        self,
        role: ParticipantRole,
        model: BaseChatModel,
        *,
        persona: str,
        intents: Sequence[Intent] = (),
        facts: Mapping[str, str] | None = None,
        usage: UsageMeter | None = None,
        instructions: str = "",
    ) -> None:
        self.role = role
        self.model = model
        self.persona = persona
        self.intents = tuple(i for i in intents if i.role is role)
        self.facts = dict(facts or {})
        self.usage = usage
        self.instructions = instructions
        self.system_prompt = build_system_prompt(
            role, persona, self.intents, self.facts, instructions
        )

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        messages = self.prompt_messages(conversation)
        reply = await invoke(
            self.model,
            messages,
            model=self.model,
            usage=self.usage,
            purpose=f"the {self.role.value}'s next message",
        )
        text = clean_reply(reply.text, self.role)
        if text is None:
            logger.debug("the %s ended the conversation", self.role.value)
            return None
        return self.message(text)

    def prompt_messages(self, conversation: Conversation) -> list[BaseMessage]:
        """The system prompt plus the history as this participant sees it."""
        messages: list[BaseMessage] = [SystemMessage(self.system_prompt)]
        for message in conversation.messages:
            if message.sender is self.role:
                messages.append(AIMessage(message.display_text()))
            elif message.quick_replies:
                hint = "(To press one of these buttons, answer with its title exactly.)"
                messages.append(HumanMessage(f"{message.display_text()}\n{hint}"))
            else:
                messages.append(HumanMessage(message.display_text()))
        if not conversation.messages:
            messages.append(HumanMessage(OPENING_LINES[self.role]))
        return messages


def build_system_prompt(
    role: ParticipantRole,
    persona: str,
    intents: Sequence[Intent],
    facts: Mapping[str, str],
    instructions: str = "",
) -> str:
    if role is ParticipantRole.CUSTOMER:
        parts = [
            "You are role-playing a customer in a live text chat with a company's"
            " customer-service agent. Stay in character for the whole chat."
        ]
        persona_title, goals_title = "Who you are", "What you want from this chat"
        facts_title = (
            "Facts you know (use them when they matter or when asked; do not invent other"
            " personal or account details)"
        )
        rules = _CUSTOMER_RULES
    else:
        parts = [
            "You are a customer-service agent answering customers in a live text chat on"
            " behalf of the company."
        ]
        persona_title, goals_title = "Your role", "Your goals in this chat"
        facts_title = "Facts, policies and data you can rely on"
        rules = _AGENT_RULES
    if persona.strip():
        parts.append(f"{persona_title}: {persona.strip()}")
    if intents:
        parts.append(f"{goals_title}:\n{bullets(i.description for i in intents)}")
    if facts:
        parts.append(f"{facts_title}:\n{facts_block(facts)}")
    parts.append(rules)
    if instructions.strip():
        parts.append(f"Additional instructions:\n{instructions.strip()}")
    return "\n\n".join(parts)


def clean_reply(text: str, role: ParticipantRole) -> str | None:
    """The message to send, or None when the model ended the chat or said nothing.

    Strips a speaker prefix ("Agent:", "**Customer:**"), cuts off lines where the model went
    on to write the other side's part, and removes wrapping quotes. ``[END]`` alone means the
    participant is finished; ``[END]`` after a farewell sends the farewell (the participant
    will end on its next turn, which keeps it stateless).
    """
    text = _cut_other_side(text, role)
    text = _END.sub("", text).strip()
    for _ in range(2):
        stripped = _PREFIX.sub("", text, count=1).strip()
        if stripped == text:
            break
        text = stripped
    quoted = _QUOTED.match(text)
    if quoted:
        text = quoted.group("body").strip()
    return text or None


def _cut_other_side(text: str, role: ParticipantRole) -> str:
    other = "agent|support agent|assistant" if role is ParticipantRole.CUSTOMER else "customer"
    pattern = re.compile(rf"^\s*[*_]*\s*(?:{other})\s*[*_]*\s*:", re.IGNORECASE)
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if index > 0 and pattern.match(line):
            return "\n".join(lines[:index])
    return text
