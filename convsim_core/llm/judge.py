"""The LLM outcome judge: after each message, which of the scenario's outcomes has been reached.

The answer is structured output restricted to the legal labels plus ``none_yet`` and
``inconclusive``, validated against that schema. A model that still answers something else
gets one corrective follow-up; a second bad answer (or an error) keeps the previous judgement
and counts a failure on it, because a judge hiccup should cost one judgement, never an outcome
already reached. ``none_yet`` and ``inconclusive`` do not erase a reached outcome either: a
conversation that got its refund stays refunded while the chat winds down.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import attrs
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable

from convsim_core.judging import JudgeCall, OutcomeJudge
from convsim_core.llm.prompting import bullets, format_transcript, intent_line, one_line
from convsim_core.llm.structured import (
    StructuredAnswer,
    ask_structured,
    object_schema,
    structured_runnable,
)
from convsim_core.models import Conversation, Intent, Judgement, Outcomes
from convsim_core.usage import UsageMeter

logger = logging.getLogger(__name__)

NONE_YET = "none_yet"
INCONCLUSIVE = "inconclusive"
JUDGE_SCHEMA_NAME = "OutcomeJudgement"
"""Name of the structured-output schema the judge requests (test servers dispatch on it)."""

_SYSTEM = f"""\
You label customer-service chat transcripts for a testing tool. Decide which outcome the \
conversation has reached so far, judging only by what the transcript shows.
Answer with exactly one label from the list you are given, "{NONE_YET}" when none of the \
outcomes has been reached yet (the conversation is still in progress), or "{INCONCLUSIVE}" \
when the transcript does not let you tell.
Give a one-line rationale that points at the message that decided it."""

_NOT_JUDGED = Judgement(outcome=None, rationale="not judged yet")


class LLMOutcomeJudge(OutcomeJudge):
    """Asks ``model`` for the outcome after every ``every_n_messages``-th message.

    Between judged messages it returns ``previous`` unchanged (the runner then reports no new
    judgement). Use a low temperature model (``make_chat_model(settings, temperature=0)``).
    """

    def __init__(
        self,
        model: BaseChatModel,
        *,
        usage: UsageMeter | None = None,
        every_n_messages: int = 1,
        min_messages: int = 1,
    ) -> None:
        if every_n_messages < 1:
            raise ValueError(f"every_n_messages must be at least 1, got {every_n_messages}")
        if min_messages < 1:
            raise ValueError(f"min_messages must be at least 1, got {min_messages}")
        self.model = model
        self.usage = usage
        self.every_n_messages = every_n_messages
        self.min_messages = min_messages
        self._runnables: dict[tuple[str, ...], Runnable[Any, dict[str, Any]]] = {}

    async def decide(self, call: JudgeCall) -> Judgement:
        conversation, outcomes, intent, previous = call
        count = len(conversation.messages)
        if count < self.min_messages or count % self.every_n_messages != 0:
            return previous or _NOT_JUDGED
        labels = (*outcomes.names, NONE_YET, INCONCLUSIVE)
        runnable = self._runnable(labels)
        messages: list[BaseMessage] = [
            SystemMessage(_SYSTEM),
            HumanMessage(_question(conversation, outcomes, intent)),
        ]
        # A call that fails for good (LLMError) still fails the run: it is not a bad answer.
        answer = await self._ask(runnable, messages)
        label = _label(answer, labels)
        if label is None:
            logger.info("judge answered %s; asking once more", _shown(answer))
            messages += [
                AIMessage(answer.raw_text or json.dumps(answer.data)),
                HumanMessage(
                    f"That answer is not valid: the outcome must be exactly one of"
                    f" {', '.join(labels)}, with a one-line string rationale. Answer again."
                ),
            ]
            answer = await self._ask(runnable, messages)
            label = _label(answer, labels)
        if label is None:
            logger.warning("judge returned an invalid label twice: %s", _shown(answer))
            return _kept(previous, f"judge returned invalid label {_shown(answer)}")
        rationale = one_line(str((answer.data or {}).get("rationale", "")))
        outcome = outcomes.get_outcome_by_name(label)
        if outcome is None:
            if previous is not None and previous.outcome is not None:
                # none_yet / inconclusive never erase an outcome already reached.
                return previous
            shown = "inconclusive: " if label == INCONCLUSIVE else ""
            return Judgement(outcome=None, rationale=f"{shown}{rationale}")
        if previous is not None and previous.outcome == outcome:
            return Judgement(outcome, rationale, previous.message_index)
        return Judgement(outcome, rationale, count - 1)

    def _runnable(self, labels: tuple[str, ...]) -> Runnable[Any, dict[str, Any]]:
        runnable = self._runnables.get(labels)
        if runnable is None:
            runnable = structured_runnable(self.model, _schema(labels))
            self._runnables[labels] = runnable
        return runnable

    async def _ask(
        self, runnable: Runnable[Any, dict[str, Any]], messages: list[BaseMessage]
    ) -> StructuredAnswer:
        return await ask_structured(
            self.model, runnable, messages, usage=self.usage, purpose="outcome judgement"
        )


def _kept(previous: Judgement | None, why: str) -> Judgement:
    """The previous judgement, with one more recorded failure."""
    if previous is None:
        return Judgement(outcome=None, rationale=why, failures=1)
    return attrs.evolve(previous, failures=previous.failures + 1)


def _schema(labels: tuple[str, ...]) -> dict[str, Any]:
    return object_schema(
        JUDGE_SCHEMA_NAME,
        "The outcome a customer-service conversation has reached so far.",
        {
            "outcome": {
                "type": "string",
                "enum": list(labels),
                "description": (
                    f"One of the outcome labels, {NONE_YET!r} if none yet, or"
                    f" {INCONCLUSIVE!r} if the transcript does not tell."
                ),
            },
            "rationale": {"type": "string", "description": "One line: why this label."},
        },
    )


def _question(conversation: Conversation, outcomes: Outcomes, intent: Intent | None) -> str:
    labels = bullets(
        [f"{o.name}: {o.description}" for o in outcomes.outcomes]
        + [f"{NONE_YET}: none of the outcomes above has been reached yet"]
        + [f"{INCONCLUSIVE}: the transcript does not let you tell"]
    )
    return (
        f"Intent: {intent_line(intent)}\n\n"
        f"Outcome labels:\n{labels}\n\n"
        f"Transcript:\n{format_transcript(conversation)}\n\n"
        "Which outcome has this conversation reached so far?"
    )


def _label(answer: StructuredAnswer, labels: tuple[str, ...]) -> str | None:
    """The answer's label if the answer fits the schema (a known label, a string rationale)."""
    data = answer.data or {}
    value = data.get("outcome")
    if not isinstance(value, str) or not isinstance(data.get("rationale", ""), str):
        return None
    normalized = value.strip().lower()
    return normalized if normalized in labels else None


def _shown(answer: StructuredAnswer) -> str:
    if answer.data is not None and "outcome" in answer.data:
        return repr(answer.data["outcome"])
    return f"(unreadable: {one_line(answer.error or answer.raw_text, 120)})"
