"""A rule-based customer: answers what it is asked, waits, pushes back, and gives up.

It is used against the offline agent and against real bots (hybrid runs), so it reads the
agent's messages for intent (see :mod:`convsim_core.offline.reading`) instead of expecting exact
lines, and anything it cannot place counts against its patience.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

from convsim_core.models import Conversation, ParticipantRole
from convsim_core.offline import phrases, reading
from convsim_core.offline.config import CustomerRules
from convsim_core.offline.rule_based import RuleBasedParticipant

logger = logging.getLogger(__name__)

_NEGATION = re.compile(r"\b(not|unable|cannot|never|no longer)\b|n't\b", re.IGNORECASE)
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|good (?:morning|afternoon|evening))(?: there)?[,.!]*\s*", re.I
)


class OfflineCustomer(RuleBasedParticipant[CustomerRules]):
    """Deterministic for a given seed and conversation; returns None after saying goodbye."""

    role = ParticipantRole.CUSTOMER

    def __init__(
        self,
        rules: CustomerRules,
        *,
        problem: str = "",
        facts: Mapping[str, str] | None = None,
        seed: int = 0,
    ) -> None:
        """``problem``: what the customer comes with (the scenario's opening message or its
        intent), unless ``rules.problem`` words it; ``facts`` and ``seed`` as for the agent."""
        super().__init__(rules, facts=facts, seed=seed)
        problem = _GREETING.sub("", problem).strip()
        self._problems: tuple[str, ...] = rules.problem or ((problem,) if problem else ())
        self._matcher = reading.FactMatcher.for_facts(self.facts, rules.aliases)
        self._given: set[str] = set()
        self._unhelpful = 0
        self._unresolved_replies = 0
        self._demanded_supervisor = False
        self._satisfied = False
        self._upsell_answered = False
        self._follow_ups_asked = 0
        self._wrapped_up = False
        self._stated_problem = False
        self._replied: set[int] = set()

    def next_text(self, conversation: Conversation) -> str | None:
        unread = _unread(conversation, self.role)
        if not unread:
            # The agent has gone quiet (hybrid runs ask the customer to nudge).
            return self._unhelpful_reply("")
        return self._reply_to(unread)

    # -- the decision -----------------------------------------------------------------------

    def _reply_to(self, agent_text: str) -> str | None:
        if self._wrapped_up:
            self._done = True
            return None
        if reading.says_goodbye(agent_text) and not reading.asks_anything_else(agent_text):
            self._done = True
            return self._say(self.rules.bye or phrases.BYE)
        if reading.escalates(agent_text):
            self._done = True
            return self._say(phrases.ESCALATED_OK)
        if self._is_upsell_offer(agent_text):
            self._upsell_answered = True
            self._unhelpful = 0
            if self.rules.accepts_upsell:
                return self._fill(self._say(self.rules.accept_offer or phrases.ACCEPT_UPSELL))
            return self._fill(self._say(self.rules.decline_offer or phrases.DECLINE_UPSELL))
        newly_satisfied = not self._satisfied and self._is_resolution(agent_text)
        if not self._satisfied and not newly_satisfied:
            self._unresolved_replies += 1
            if self._wants_supervisor():
                asked = self._matcher.asked(agent_text) if self._demanded_supervisor else []
                if asked and reading.is_request(agent_text):
                    # Once a supervisor is on the way, even an angry customer gives the
                    # details the agent needs to pass the case on.
                    return self._answer(asked)
                return self._demand_supervisor()
        scripted = self._scripted_reply(agent_text)
        if scripted and not newly_satisfied:
            self._unhelpful = 0
            return scripted
        asked = self._matcher.asked(agent_text)
        answer = self._answer(asked) if asked else scripted
        if newly_satisfied:
            self._satisfied = True
            self._unhelpful = 0
            return self._join(answer, self._after_resolution(agent_text, thanks=True))
        if answer:
            self._unhelpful = 0
            return answer
        if self._satisfied and (
            reading.asks_anything_else(agent_text) or not reading.is_request(agent_text)
        ):
            return self._after_resolution(agent_text, thanks=False)
        if reading.asks_for_problem(agent_text) and not reading.asks_anything_else(agent_text):
            self._stated_problem = True
            return self._fill(self._say(phrases.STATE_PROBLEM))
        choice = self._menu_choice(agent_text)
        if choice:
            return choice
        if reading.asks_to_confirm(agent_text):
            self._unhelpful = 0
            return self._say(self.rules.confirm or phrases.CONFIRM_YES)
        if reading.asks_for_unknown_detail(agent_text):
            return self._no_such_fact()
        return self._unhelpful_reply(agent_text)

    def _after_resolution(self, agent_text: str, *, thanks: bool) -> str:
        lead = self._say(self.rules.thanks or phrases.THANKS) if thanks else ""
        if self._follow_ups_asked < len(self.rules.follow_ups):
            question = self.rules.follow_ups[self._follow_ups_asked]
            self._follow_ups_asked += 1
            return self._join(lead, self._fill(question))
        if thanks and not reading.asks_anything_else(agent_text):
            return lead
        self._wrapped_up = True
        return self._join(lead, self._fill(self._say(self.rules.wrap_up or phrases.WRAP_UP)))

    def _unhelpful_reply(self, agent_text: str) -> str:
        self._unhelpful += 1
        if self._unhelpful > self.rules.patience:
            self._done = True
            return self._fill(self._say(self.rules.give_up or phrases.GIVE_UP))
        if agent_text and reading.is_stalling(agent_text):
            options = phrases.WAIT_OK if self._unhelpful == 1 else phrases.NUDGE
            return self._say(options)
        if not agent_text or self._satisfied:
            return self._say(phrases.NUDGE)
        if not self._stated_problem:
            self._stated_problem = True
            return self._fill(self._say(phrases.STATE_PROBLEM))
        return self._fill(self._say(phrases.RESTATE))

    def _wants_supervisor(self) -> bool:
        after = self.rules.demands_supervisor_after
        return after is not None and self._unresolved_replies > after

    def _demand_supervisor(self) -> str:
        options = (
            phrases.INSIST_SUPERVISOR if self._demanded_supervisor else phrases.DEMAND_SUPERVISOR
        )
        self._demanded_supervisor = True
        self._unhelpful += 1
        if self._unhelpful > self.rules.patience + 2:
            # Even an angry customer stops demanding eventually.
            self._done = True
            return self._fill(self._say(self.rules.give_up or phrases.GIVE_UP))
        return self._say(options)

    # -- reading ----------------------------------------------------------------------------

    def _scripted_reply(self, text: str) -> str:
        """The scenario's own reply to a phrase (each used once, so loops cannot form)."""
        for index, reply in enumerate(self.rules.replies):
            if index not in self._replied and reading.contains_any(text, reply.when):
                self._replied.add(index)
                return self._fill(self._say(reply.say))
        return ""

    def _menu_choice(self, text: str) -> str:
        """Pick the numbered option closest to the problem (bots love menus)."""
        options = reading.menu_options(text)
        if not options:
            return ""
        topic = reading.words(" ".join(self._problems))
        scored = [(len(reading.words(label) & topic), label) for _number, label in options]
        best, label = max(scored, key=lambda item: item[0])
        if best == 0:
            return ""
        self._unhelpful = 0
        return label[:1].upper() + label[1:] + "."

    def _is_upsell_offer(self, text: str) -> bool:
        if self._upsell_answered or not reading.is_request(text):
            return False
        return any(
            reading.is_request(s) and reading.contains_any(s, self.rules.upsell_phrases)
            for s in reading.sentences(text)
        )

    def _is_resolution(self, text: str) -> bool:
        for sentence in reading.sentences(text):
            found = reading.find_phrase(sentence, self.rules.satisfied_when)
            # "couldn't get it resolved" is not a resolution; "has been cancelled and you
            # won't be charged" is, so only the words just before the phrase count.
            if found and not _NEGATION.search(sentence[max(0, found.start() - 30) : found.start()]):
                return True
        return False

    # -- wording ----------------------------------------------------------------------------

    def _answer(self, keys: Sequence[str]) -> str:
        again = all(key in self._given for key in keys)
        self._given.update(keys)
        mood = self.rules.mood
        if len(keys) == 1:
            key = keys[0]
            value = self.facts[key]
            if again:
                bank = phrases.ANSWER_AGAIN
            elif len(value.split()) > 3:
                bank = phrases.ANSWER_FREE  # a phrase, not an identifier: no "my X is ..."
            else:
                bank = phrases.ANSWER_ONE
            template = self._picker.pick(phrases.bank(bank, mood))
            values = {"value": value, "Value": value[:1].upper() + value[1:], "label": _label(key)}
            return phrases.fill(template, values)
        pairs = [f"my {_label(key)} is {self.facts[key]}" for key in keys]
        joined = ", ".join(pairs[:-1]) + f" and {pairs[-1]}"
        template = self._picker.pick(phrases.bank(phrases.ANSWER_MANY, mood))
        text = phrases.fill(template, {"pairs": joined})
        return text[0].upper() + text[1:]

    def _no_such_fact(self) -> str:
        known = ""
        for key in self.facts:
            known = f" My {_label(key)} is {self.facts[key]}, if that helps."
            self._given.add(key)
            break
        template = self._picker.pick(phrases.bank(phrases.NO_SUCH_FACT, self.rules.mood))
        return phrases.fill(template, {"known": known})

    def _say(self, options: phrases.Bank | Sequence[str]) -> str:
        if isinstance(options, Mapping):
            return self._picker.pick(phrases.bank(options, self.rules.mood))
        return self._picker.pick(options)

    def _fill(self, template: str) -> str:
        problem = self._picker.pick(self._problems) if self._problems else "I still need help."
        values = {**self.facts, "problem": phrases.fill(problem, self.facts)}
        return phrases.fill(template, values)

    @staticmethod
    def _join(*parts: str) -> str:
        return " ".join(part for part in parts if part)


def _unread(conversation: Conversation, role: ParticipantRole) -> str:
    """Everything the other side said since this side last spoke (bots often send bursts)."""
    texts: list[str] = []
    for message in reversed(conversation.messages):
        if message.sender is role:
            break
        texts.append(message.display_text().strip())
    return " ".join(reversed(texts))


def _label(key: str) -> str:
    label = reading.label_for(key)
    return "email address" if label == "email" else label
