"""Termination strategies: small rules, each able to say "stop" and why.

The runner always enforces ``max_messages`` and stops when a participant returns None; these
strategies add the rest and are composed with :class:`AnyOf` (first to fire wins).
"""

from __future__ import annotations

import abc
import functools
import re
from collections.abc import Iterable

import attrs

from convsim_core.language import Clause, clauses, normalise, stems
from convsim_core.models import (
    Conversation,
    Intent,
    Judgement,
    Message,
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


@attrs.frozen(slots=False)
class TurnState:
    """What a strategy may look at after each message.

    Not slotted: one is built after every message, and a frozen slotted attrs class sets
    each field through ``object.__setattr__`` where a dict class stores into ``__dict__``.
    """

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

    def may_fire(self, message: Message, judgement: Judgement | None) -> bool:
        """Whether :meth:`check` could fire after ``message``, given the judge's ``judgement``.

        False lets the runner skip building the :class:`TurnState` and awaiting :meth:`check`
        (after most messages no strategy can fire, and the check runs after every one). The
        default is True: a strategy that reads more than the newest message and the judgement
        (the whole conversation, a count, the clock, an LLM) is checked after every message.
        """
        return True


@attrs.frozen
class ClosingPhrases(TerminationStrategy):
    """Ends when the newest message signs off with a closing phrase (see :mod:`.signoff`).

    Patterns are case-insensitive regexes; a message that merely contains one ("I'll take
    care of that") does not end the chat. ``sender`` limits which side's farewell counts
    (None: either side's, as in a support chat either party may take leave).
    """

    patterns: tuple[str, ...] = attrs.field(default=DEFAULT_CLOSING_PHRASES, converter=to_tuple)
    sender: ParticipantRole | None = None
    _screen: _Screen = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_screen", _screen_for(self.patterns))

    def sign_off(self, content: str) -> SignOff | NotASignOff | None:
        """The farewell in ``content``, the near miss, or None (no closing phrase at all)."""
        screen = self._screen
        if not screen.may_match(content):
            return None
        return find_sign_off(content, screen.each)

    def may_fire(self, message: Message, judgement: Judgement | None) -> bool:
        if not self.patterns or (self.sender is not None and message.sender is not self.sender):
            return False
        return self._screen.may_match(message.content)

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
class _Screen:
    """Closing-phrase patterns compiled once per set of patterns (every run uses the same).

    A screen runs after every message and only a hit is read clause by clause: words and
    spaces (the default phrases) by substring on lower-cased ASCII text; phrases without
    regex syntax by one regex on lower-cased text (IGNORECASE is ~4x slower); anything else by
    one IGNORECASE regex of every pattern.
    """

    each: tuple[re.Pattern[str], ...]
    """One pattern per phrase, for reading a message clause by clause."""
    compiled: re.Pattern[str] | None
    plain: bool
    literals: tuple[str, ...] | None

    def may_match(self, content: str) -> bool:
        literals = self.literals
        if literals is not None and content.isascii():
            # In ASCII text, a case-insensitive search for ASCII words is exactly a substring
            # test on the lower-cased text, and five times cheaper than the regex.
            text = content.lower()
            for literal in literals:  # noqa: SIM110 - any() over a generator costs 3x as much
                if literal in text:
                    return True
            return False
        screen = self.compiled
        if screen is None:
            return True
        return screen.search(content.lower() if self.plain else content) is not None


@functools.lru_cache(maxsize=64)
def _screen_for(patterns: tuple[str, ...]) -> _Screen:
    plain = all(re.escape(p) == p for p in patterns)
    literals = _ascii_literals(patterns)
    if not plain and literals is None:  # words and spaces are safe: no need to parse them
        for pattern in patterns:
            try:
                check_pattern(pattern)  # invalid or explosive patterns are refused, never run
            except ValueError as exc:
                raise ValueError(f"invalid closing phrase pattern: {exc}") from None
    each = tuple(
        re.compile(rf"\b{re.escape(normalise(p))}\b" if re.escape(p) == p else p, re.IGNORECASE)
        for p in patterns
    )
    source = "|".join(p.lower() if plain else f"(?:{p})" for p in patterns)
    compiled: re.Pattern[str] | None
    try:
        compiled = re.compile(source, 0 if plain else re.IGNORECASE)
    except re.error:
        # Each pattern compiles alone (checked above) but not joined: a pattern with global
        # flags such as "(?i)bye" only works at the start of an expression, so there is no
        # pre-screen and every message is read clause by clause.
        compiled = None
    return _Screen(each, compiled, plain, literals)


def _ascii_literals(patterns: tuple[str, ...]) -> tuple[str, ...] | None:
    """The patterns lower-cased when each is ASCII letters, digits and spaces, else None."""
    if not all(p.isascii() and p.replace(" ", "").isalnum() for p in patterns):
        return None
    return tuple(p.lower() for p in patterns)


@attrs.frozen
class OutcomeReached(TerminationStrategy):
    """Ends once the judge reports one of the terminal outcomes (all outcomes when empty)."""

    terminal: frozenset[str] = attrs.field(default=frozenset(), converter=to_frozenset)

    def may_fire(self, message: Message, judgement: Judgement | None) -> bool:
        outcome = judgement.outcome if judgement else None
        return outcome is not None and (not self.terminal or outcome.name in self.terminal)

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

    def may_fire(self, message: Message, judgement: Judgement | None) -> bool:
        for strategy in self.strategies:  # noqa: SIM110 - any() over a generator costs 3x
            if strategy.may_fire(message, judgement):
                return True
        return False

    async def check(self, state: TurnState) -> Termination | None:
        for strategy in self.strategies:
            found = await strategy.check(state)
            if found is not None:
                return found
        return None
