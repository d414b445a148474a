"""LLM-based conversation checks: is the chat over, is the goal met, what did the customer want.

These are the design's "LLM-based" and "goal completion" termination strategies plus intent
inference for hybrid runs without a scripted intent. An unreadable answer from a check counts
as "no" (logged): ending a run early on a garbled answer would be worse than one more turn.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable

from convsim_core.llm.calls import invoke
from convsim_core.llm.prompting import format_transcript, intent_line, one_line
from convsim_core.llm.structured import ask_structured, object_schema, structured_runnable
from convsim_core.models import Conversation, Intent, ParticipantRole, TerminationReason
from convsim_core.termination import GoalChecker, Termination, TerminationStrategy, TurnState
from convsim_core.usage import UsageMeter

logger = logging.getLogger(__name__)

COMPLETION_SCHEMA_NAME = "ConversationComplete"
GOAL_SCHEMA_NAME = "GoalSatisfied"

_COMPLETION_SCHEMA = object_schema(
    COMPLETION_SCHEMA_NAME,
    "Whether a customer-service chat has come to its natural end.",
    {
        "complete": {"type": "boolean", "description": "True when the chat is over."},
        "reason": {"type": "string", "description": "One line: why."},
    },
)
_GOAL_SCHEMA = object_schema(
    GOAL_SCHEMA_NAME,
    "Whether a participant's goal has been achieved in the chat.",
    {
        "satisfied": {"type": "boolean", "description": "True when the goal is achieved."},
        "reason": {"type": "string", "description": "One line: why."},
    },
)

_COMPLETION_SYSTEM = """\
You review customer-service chat transcripts for a testing tool. Decide whether the \
conversation has come to its natural end: the customer's request was handled, refused or \
escalated and nothing is left open, or one side said goodbye or left. A chat waiting for an \
answer, a pending question or an unfinished task is not complete."""

_GOAL_SYSTEM = """\
You review customer-service chat transcripts for a testing tool. Decide whether the given \
goal has actually been achieved in the conversation, judging only by what the transcript \
shows (a promise to do it later does not count unless the goal is just to get that promise)."""

_INTENT_SYSTEM = """\
You read customer-service chat transcripts and state what the customer wants. Answer with one \
or two plain sentences describing the customer's goal, e.g. "Cancel their subscription \
because they were charged twice." No preamble, no quotes."""

_BOTH_SIDES = frozenset({ParticipantRole.AGENT, ParticipantRole.CUSTOMER})


class LLMCompletionCheck(TerminationStrategy):
    """Ends the conversation when the model judges it complete.

    Checks only once the chat has ``min_messages`` messages, and only after a message from one
    of ``after`` (both sides by default; ``{ParticipantRole.AGENT}`` halves the calls).
    """

    def __init__(
        self,
        model: BaseChatModel,
        *,
        usage: UsageMeter | None = None,
        min_messages: int = 4,
        after: Collection[ParticipantRole] = _BOTH_SIDES,
    ) -> None:
        self.model = model
        self.usage = usage
        self.min_messages = min_messages
        self.after = frozenset(after)
        self._runnable: Runnable[Any, dict[str, Any]] = structured_runnable(
            model, _COMPLETION_SCHEMA
        )

    async def check(self, state: TurnState) -> Termination | None:
        conversation = state.conversation
        last = conversation.last_message
        if last is None or last.sender not in self.after:
            return None
        if len(conversation.messages) < self.min_messages:
            return None
        messages: list[BaseMessage] = [
            SystemMessage(_COMPLETION_SYSTEM),
            HumanMessage(
                f"Transcript:\n{format_transcript(conversation)}\n\nIs this conversation complete?"
            ),
        ]
        answer = await ask_structured(
            self.model, self._runnable, messages, usage=self.usage, purpose="completion check"
        )
        complete = (answer.data or {}).get("complete")
        if not isinstance(complete, bool):
            logger.warning("completion check gave an unreadable answer: %s", answer.error)
            return None
        if not complete:
            return None
        reason = one_line(str((answer.data or {}).get("reason", ""))) or "conversation complete"
        return Termination(TerminationReason.LLM_JUDGEMENT, reason)


class LLMGoalChecker(GoalChecker):
    """Asks the model whether ``intent`` has been achieved.

    Skips the call (not satisfied) until the other side has said something: nobody can have
    met a goal in a chat only one side has spoken in.
    """

    def __init__(self, model: BaseChatModel, *, usage: UsageMeter | None = None) -> None:
        self.model = model
        self.usage = usage
        self._runnable: Runnable[Any, dict[str, Any]] = structured_runnable(model, _GOAL_SCHEMA)

    async def is_satisfied(self, conversation: Conversation, intent: Intent) -> tuple[bool, str]:
        if not any(m.sender is intent.role.other for m in conversation.messages):
            return False, ""
        messages: list[BaseMessage] = [
            SystemMessage(_GOAL_SYSTEM),
            HumanMessage(
                f"Goal: {intent_line(intent)}\n\n"
                f"Transcript:\n{format_transcript(conversation)}\n\n"
                "Has the goal been achieved?"
            ),
        ]
        answer = await ask_structured(
            self.model, self._runnable, messages, usage=self.usage, purpose="goal check"
        )
        satisfied = (answer.data or {}).get("satisfied")
        if not isinstance(satisfied, bool):
            logger.warning("goal check gave an unreadable answer: %s", answer.error)
            return False, ""
        return satisfied, one_line(str((answer.data or {}).get("reason", "")))


async def infer_intent(
    model: BaseChatModel, conversation: Conversation, *, usage: UsageMeter | None = None
) -> str:
    """The customer's goal in one or two sentences, read from the transcript ("" if empty)."""
    if not conversation.messages:
        return ""
    messages: list[BaseMessage] = [
        SystemMessage(_INTENT_SYSTEM),
        HumanMessage(
            f"Transcript:\n{format_transcript(conversation)}\n\nWhat does the customer want?"
        ),
    ]
    reply = await invoke(model, messages, model=model, usage=usage, purpose="intent inference")
    return one_line(reply.text, 400).strip("\"' ")
