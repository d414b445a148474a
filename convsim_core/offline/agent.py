"""A rule-based support agent: greets, asks for what it needs, resolves, offers more help, closes.

It follows the scenario's ``[agent.offline]`` steps in order, but reads each customer message
first, so a supervisor demand, a question it has an answer for, a goodbye or an answer to a
sales offer changes what it says next. It also copes with customers it did not script (an LLM
customer giving several details at once, or none).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from convsim_core.models import Conversation, ParticipantRole
from convsim_core.offline import phrases, reading
from convsim_core.offline.config import AgentRules, AgentStep
from convsim_core.offline.rule_based import RuleBasedParticipant

logger = logging.getLogger(__name__)

SORRY_TO_SEE_YOU_GO = (
    "I'm sorry we couldn't sort this out today. Take care.",
    "I understand, and I'm sorry for the wait. Take care.",
)
_MAX_OUT_OF_SCOPE = 2
_THANKS_FIRST = re.compile(r"^\s*(thanks|thank you|got it|perfect|great|lovely)\b", re.IGNORECASE)


class OfflineAgent(RuleBasedParticipant[AgentRules]):
    """Deterministic for a given seed and conversation; returns None after closing the chat."""

    role = ParticipantRole.AGENT

    def __init__(
        self,
        rules: AgentRules,
        *,
        facts: Mapping[str, str] | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(rules, facts=facts, seed=seed)
        self._captured: dict[str, str] = {}
        self._next_step = 0
        self._pending_ask: str | None = None
        self._stalls = 0
        self._resolved = False
        self._upsell_state: str | None = None  # None, "offered" or "done"
        self._asked_anything_else = False
        self._supervisor_demands = 0
        self._out_of_scope = 0
        self._greeted = False

    def next_text(self, conversation: Conversation) -> str | None:
        last = conversation.last_message
        text = last.content if last is not None and last.sender is not self.role else ""
        history = [m.content for m in conversation.messages if m.sender is not self.role]
        return self._reply_to(text, history)

    # -- the decision -----------------------------------------------------------------------

    def _reply_to(self, text: str, history: list[str]) -> str | None:
        if text and reading.says_goodbye(text) and not text.rstrip().endswith("?"):
            self._done = True
            return self._say(self.rules.farewell if self._resolved else SORRY_TO_SEE_YOU_GO)
        if self._upsell_state == "offered":
            return self._answer_upsell(text)
        if text and reading.demands_supervisor(text):
            return self._handle_supervisor_demand()
        ack = self._acknowledge(text) if self._pending_ask else ""
        answer = self._canned_answer(text)
        parts = [answer] if answer else []
        if not self._resolved:
            step = self._advance(history)
            if ack and not answer and _THANKS_FIRST.match(step):
                ack = ""  # the step thanks the customer itself
            parts = [ack, *parts, step]
            if not self._greeted:
                self._greeted = True
                if self.rules.greeting:
                    parts.insert(0, self._say(self.rules.greeting))
            return self._join(parts)
        return self._after_resolution(text, [ack, *parts], answered=bool(answer))

    def _advance(self, history: list[str]) -> str:
        """The next step, a stall, or the resolution."""
        while self._next_step < len(self.rules.steps):
            step = self.rules.steps[self._next_step]
            self._next_step += 1
            if step.ask and step.ask in self._known(history):
                continue  # the customer already gave it; do not ask twice
            return self._step_text(step)
        if self._stalls < self.rules.stall_turns:
            self._stalls += 1
            return self._say(self.rules.stall)
        self._resolved = True
        return self._say(self.rules.resolution)

    def _after_resolution(self, text: str, parts: list[str], *, answered: bool) -> str | None:
        if self.rules.upsell is not None and self._upsell_state is None:
            self._upsell_state = "offered"
            return self._join([*parts, self._say(self.rules.upsell.offer)])
        if answered:
            return self._join([*parts, self._anything_else()])
        if reading.wraps_up(text) or (self._asked_anything_else and not reading.is_request(text)):
            self._done = True
            return self._say(self.rules.farewell)
        if text and reading.is_request(text) and not reading.wraps_up(text):
            self._out_of_scope += 1
            if self._out_of_scope > _MAX_OUT_OF_SCOPE:
                self._done = True
                return self._say(self.rules.farewell)
            parts.append(self._say(phrases.OUT_OF_SCOPE))
        return self._join([*parts, self._anything_else()])

    def _answer_upsell(self, text: str) -> str:
        assert self.rules.upsell is not None
        self._upsell_state = "done"
        accepted = reading.accepts(text)
        reply = self._say(self.rules.upsell.accepted if accepted else self.rules.upsell.declined)
        return self._join([reply, self._anything_else()])

    def _handle_supervisor_demand(self) -> str:
        self._supervisor_demands += 1
        after = self.rules.escalate_after
        if after and self._supervisor_demands >= after:
            self._done = True  # the supervisor takes it from here
            return self._say(self.rules.escalation)
        parts = [self._say(self.rules.de_escalate)]
        if self._pending_ask:
            parts.append(self._ask_text(self._pending_ask))
        return self._join(parts)

    # -- pieces -----------------------------------------------------------------------------

    def _acknowledge(self, text: str) -> str:
        key = self._pending_ask
        self._pending_ask = None
        if key is None:
            return ""
        if reading.does_not_know(text):
            return self._say(phrases.ACK_MISSING)
        value = reading.extract_value(key, text)
        if value is not None:
            self._captured[key] = value
        return self._say(phrases.ACK)

    def _canned_answer(self, text: str) -> str:
        if not text:
            return ""
        for answer in self.rules.answers:
            if reading.contains_any(text, answer.when):
                return self._say(answer.say)
        return ""

    def _step_text(self, step: AgentStep) -> str:
        if step.ask:
            self._pending_ask = step.ask
        if step.say:
            return self._say(step.say)
        assert step.ask is not None
        return self._ask_text(step.ask)

    def _ask_text(self, key: str) -> str:
        template = self._say(phrases.ASK)
        return phrases.fill(template, {"label": reading.label_for(key)})

    def _anything_else(self) -> str:
        self._asked_anything_else = True
        return self._say(self.rules.anything_else)

    def _known(self, history: list[str]) -> dict[str, str]:
        for step in self.rules.steps:
            if step.ask and step.ask not in self._captured:
                found = reading.find_in_history(step.ask, history)
                if found:
                    self._captured[step.ask] = found
        return self._captured

    def _say(self, options: tuple[str, ...]) -> str:
        return self._fill(self._picker.pick(options))

    def _fill(self, template: str) -> str:
        # A fact the customer could not give reads as "your email" rather than "{email}".
        asked = {s.ask: f"your {reading.label_for(s.ask)}" for s in self.rules.steps if s.ask}
        return phrases.fill(template, {**asked, **self.facts, **self._captured})

    @staticmethod
    def _join(parts: list[str]) -> str:
        return " ".join(part for part in parts if part)
