"""Termination strategies: small rules, each able to say "stop" and why.

The runner always enforces ``max_messages`` and stops when a participant returns None; these
strategies add the rest and are composed with :class:`AnyOf` (first to fire wins).
"""

from __future__ import annotations

import abc
import re
from collections.abc import Iterable

import attrs

from convsim_core.language import Clause, clauses, normalise, stems
from convsim_core.models import (
    Conversation,
    Intent,
    Judgement,
    Outcomes,
    ParticipantRole,
    TerminationReason,
    to_frozenset,
    to_tuple,
)
from convsim_core.regexsafe import check_pattern
from convsim_core.signoff import NotASignOff, SignOff, find_sign_off

DEFAULT_CLOSING_PHRASES = (
    "have a nice day",
    "have a great day",
    "have a good day",
    "goodbye",
    "bye for now",
    "take care",
)


@attrs.frozen
class TurnState:
    """What a strategy may look at after each message."""

    conversation: Conversation
    outcomes: Outcomes
    intent: Intent | None
    judgement: Judgement | None
    max_messages: int
    elapsed_seconds: float = 0.0


@attrs.frozen
class Termination:
    reason: TerminationReason
    detail: str = ""


class TerminationStrategy(abc.ABC):
    @abc.abstractmethod
    async def check(self, state: TurnState) -> Termination | None:
        """A termination when the conversation should end now, else None."""


@attrs.frozen
class ClosingPhrases(TerminationStrategy):
    """Ends when the newest message signs off with a closing phrase (see :mod:`.signoff`).

    Patterns are case-insensitive regexes; a message that merely contains one ("I'll take
    care of that") does not end the chat. ``sender`` limits which side's farewell counts
    (None: either side's, as in a support chat either party may take leave).
    """

    patterns: tuple[str, ...] = attrs.field(default=DEFAULT_CLOSING_PHRASES, converter=to_tuple)
    sender: ParticipantRole | None = None
    _compiled: re.Pattern[str] = attrs.field(init=False, repr=False, eq=False)
    _each: tuple[re.Pattern[str], ...] = attrs.field(init=False, repr=False, eq=False)
    _plain: bool = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        # Plain phrases (the usual case) are pre-screened on lower-cased text without
        # IGNORECASE: about 4x faster, and this runs after every message. Only a hit is read
        # clause by clause.
        plain = all(re.escape(p) == p for p in self.patterns)
        source = "|".join(p.lower() if plain else f"(?:{p})" for p in self.patterns)
        try:
            compiled = re.compile(source, 0 if plain else re.IGNORECASE)
            each = tuple(
                re.compile(
                    rf"\b{re.escape(normalise(p))}\b" if re.escape(p) == p else p, re.IGNORECASE
                )
                for p in self.patterns
            )
        except re.error as exc:
            raise ValueError(f"invalid closing phrase pattern: {exc}") from exc
        if not plain:
            for pattern in self.patterns:
                check_pattern(pattern)  # explosive patterns are refused, never run
        object.__setattr__(self, "_compiled", compiled)
        object.__setattr__(self, "_each", each)
        object.__setattr__(self, "_plain", plain)

    def sign_off(self, content: str) -> SignOff | NotASignOff | None:
        """The farewell in ``content``, the near miss, or None (no closing phrase at all)."""
        if self._compiled.search(content.lower() if self._plain else content) is None:
            return None
        return find_sign_off(content, self._each)

    async def check(self, state: TurnState) -> Termination | None:
        messages = state.conversation.messages
        if not messages or not self.patterns:
            return None
        last = messages[-1]
        if self.sender is not None and last.sender is not self.sender:
            return None
        found = self.sign_off(last.content)
        if isinstance(found, SignOff):
            return Termination(
                TerminationReason.CLOSING_PHRASE, f'{last.sender.value} said "{found.phrase}"'
            )
        return None


@attrs.frozen
class OutcomeReached(TerminationStrategy):
    """Ends once the judge reports one of the terminal outcomes (all outcomes when empty)."""

    terminal: frozenset[str] = attrs.field(default=frozenset(), converter=to_frozenset)

    async def check(self, state: TurnState) -> Termination | None:
        outcome = state.judgement.outcome if state.judgement else None
        if outcome is None or (self.terminal and outcome.name not in self.terminal):
            return None
        return Termination(TerminationReason.OUTCOME_REACHED, f"outcome {outcome.name!r} reached")


class GoalChecker(abc.ABC):
    """Decides whether a participant's intent has been satisfied."""

    @abc.abstractmethod
    async def is_satisfied(self, conversation: Conversation, intent: Intent) -> tuple[bool, str]:
        """Whether the intent is satisfied, with a one-line reason."""


@attrs.frozen
class KeywordGoalChecker(GoalChecker):
    """Offline: the goal is met when the other side's newest message states a phrase.

    Phrases match by word stems within a clause that is not negated, asked, offered or only
    planned: "has been refunded" counts, "hasn't been refunded yet", "Has it been refunded?"
    and "once it's refunded I'll tell you" do not.
    """

    phrases: tuple[str, ...] = attrs.field(converter=to_tuple)

    async def is_satisfied(self, conversation: Conversation, intent: Intent) -> tuple[bool, str]:
        last = conversation.last_message
        if last is None or last.sender is intent.role:
            return False, ""
        text = last.content.lower()
        if not any(stems(p)[:1] and stems(p)[0][:4] in text for p in self.phrases):
            return False, ""
        for clause in clauses(last.content):
            for phrase in self.phrases:
                start = clause.find(stems(phrase), use_stems=True)
                if start is None or clause.is_offer or _conditional(clause, start):
                    continue
                if clause.negated_at(start) or clause.hedged_at(start, allow_future=True):
                    continue
                return True, f'{last.sender.value} said "{phrase}"'
        return False, ""


def _conditional(clause: Clause, start: int) -> bool:
    """ "once/when/if/until it is resolved": a condition, not a statement."""
    return any(w in ("once", "when", "if", "until", "after") for w in clause.words[:start])


@attrs.frozen
class GoalCompletion(TerminationStrategy):
    checker: GoalChecker

    async def check(self, state: TurnState) -> Termination | None:
        if state.intent is None:
            return None
        done, why = await self.checker.is_satisfied(state.conversation, state.intent)
        if done:
            return Termination(TerminationReason.GOAL_COMPLETED, why or "intent satisfied")
        return None


@attrs.frozen
class AnyOf(TerminationStrategy):
    strategies: tuple[TerminationStrategy, ...] = attrs.field(converter=to_tuple)

    @classmethod
    def of(cls, strategies: Iterable[TerminationStrategy]) -> AnyOf:
        return cls(tuple(strategies))

    async def check(self, state: TurnState) -> Termination | None:
        for strategy in self.strategies:
            found = await strategy.check(state)
            if found is not None:
                return found
        return None
