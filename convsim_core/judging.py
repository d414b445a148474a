"""Outcome judges: the runner asks one after every message which outcome the chat has reached.

Judging is centralised (the design's choice) so every runner labels outcomes the same way. A
judge sees the previous judgement so cheap judges only look at the newest message.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from convsim_core.models import Judgement, ParticipantRole, to_tuple

if TYPE_CHECKING:  # annotations only
    from convsim_core.models import Conversation, Intent, Message, Outcomes

NO_OUTCOME_YET = Judgement(outcome=None, rationale="no outcome yet")


class JudgeCall(NamedTuple):
    """What a judge is asked after a message, in one value every judge reads the same way.

    A named tuple, not an attrs class: one is built per message per conversation, and the
    literal keyword judge costs about a microsecond.
    """

    conversation: Conversation
    outcomes: Outcomes
    intent: Intent | None
    previous: Judgement | None

    @property
    def kept(self) -> Judgement:
        """The answer when this message decides nothing: the previous judgement, if any."""
        return self.previous or NO_OUTCOME_YET

    @property
    def last(self) -> Message | None:
        messages = self.conversation.messages
        return messages[-1] if messages else None


class OutcomeJudge(abc.ABC):
    """Labels the outcome; subclasses answer one :class:`JudgeCall` in :meth:`decide`."""

    def judge(
        self,
        conversation: Conversation,
        outcomes: Outcomes,
        intent: Intent | None,
        previous: Judgement | None,
    ) -> Coroutine[Any, Any, Judgement]:
        """The outcome the conversation has reached so far (``outcome=None``: none yet).

        Await it. It hands :meth:`decide`'s coroutine over rather than awaiting it in one of
        its own: judging runs after every message, and a second coroutine frame costs about
        as much as the keyword judge's whole search.
        """
        return self.decide(JudgeCall(conversation, outcomes, intent, previous))

    @abc.abstractmethod
    async def decide(self, call: JudgeCall) -> Judgement:
        """:meth:`judge`'s answer (the runner and re-judging call :meth:`judge`)."""

    def quick(self, message: Message, previous: Judgement | None) -> Judgement | None:
        """The judgement after ``message`` when it is plain without :meth:`decide`, else None.

        The runner asks this first and awaits :meth:`judge` only on None: a judge that can
        tell at a glance that a message changes nothing spares a coroutine and a
        :class:`JudgeCall` per message. It must answer exactly what :meth:`judge` would; the
        default (None) always judges. A subclass that overrides :meth:`decide` of a judge
        with a quick answer overrides this too.
        """
        return None


class NullJudge(OutcomeJudge):
    """Never decides; for runs where only termination matters."""

    async def decide(self, call: JudgeCall) -> Judgement:
        return self._kept(call.previous)

    def quick(self, message: Message, previous: Judgement | None) -> Judgement | None:
        return self._kept(previous)

    @staticmethod
    def _kept(previous: Judgement | None) -> Judgement:
        return previous or Judgement(outcome=None, rationale="no judge configured")


@attrs.frozen
class KeywordRule:
    """An outcome is reached when a message (optionally from one side) contains a phrase."""

    outcome: str
    phrases: tuple[str, ...] = attrs.field(converter=to_tuple)
    sender: ParticipantRole | None = None
    _pattern: re.Pattern[str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.phrases:
            raise ValueError(f"keyword rule for {self.outcome!r} needs at least one phrase")
        # Phrases are literals: match them lower-cased on lower-cased text (IGNORECASE is ~4x
        # slower, and judging runs after every message).
        alternatives = "|".join(re.escape(p.lower()) for p in self.phrases)
        object.__setattr__(self, "_pattern", re.compile(rf"\b(?:{alternatives})\b"))

    @property
    def pattern(self) -> re.Pattern[str]:
        return self._pattern

    def match(self, content: str, sender: ParticipantRole) -> str | None:
        if self.sender is not None and sender is not self.sender:
            return None
        found = self._pattern.search(content.lower())
        return found.group(0) if found else None


@attrs.frozen
class KeywordJudge(OutcomeJudge):
    """Offline judge: the latest message matching a rule sets the outcome; later matches win."""

    rules: tuple[KeywordRule, ...] = attrs.field(converter=to_tuple)
    _any: re.Pattern[str] = attrs.field(init=False, repr=False, eq=False)
    _literals: tuple[str, ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        combined = "|".join(f"(?:{rule.pattern.pattern})" for rule in self.rules) or "(?!)"
        object.__setattr__(self, "_any", re.compile(combined))
        literals = {phrase.lower() for rule in self.rules for phrase in rule.phrases}
        object.__setattr__(self, "_literals", tuple(sorted(literals)))

    @classmethod
    def from_phrases(
        cls, phrases: dict[str, Iterable[str]], sender: ParticipantRole | None = None
    ) -> KeywordJudge:
        return cls(tuple(KeywordRule(name, tuple(p), sender) for name, p in phrases.items() if p))

    def quick(self, message: Message, previous: Judgement | None) -> Judgement | None:
        # decide()'s first test: a message with none of the phrases keeps the judgement.
        text = message.content.lower()
        for phrase in self._literals:  # (any() over a generator costs 3x as much)
            if phrase in text:
                return None
        return previous or NO_OUTCOME_YET

    async def decide(self, call: JudgeCall) -> Judgement:
        last = call.last
        if last is None:
            return call.kept
        # A phrase matches only where it occurs as a substring, and `in` scans about five times
        # faster than a pattern that opens with \b: quick()'s screen first (this class's own,
        # whatever a subclass makes of quick()); the combined search then rules out partial
        # words, and only real hits walk the rules in order.
        kept = KeywordJudge.quick(self, last, call.previous)
        if kept is not None or self._any.search(last.content.lower()) is None:
            return call.kept
        for rule in self.rules:
            phrase = rule.match(last.content, last.sender)
            outcome = call.outcomes.get_outcome_by_name(rule.outcome)
            if phrase is not None and outcome is not None:
                return Judgement(
                    outcome=outcome,
                    rationale=f'{last.sender.value} said "{phrase}"',
                    message_index=len(call.conversation.messages) - 1,
                )
        return call.kept
