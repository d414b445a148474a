"""The default offline outcome judge: recognises outcomes in the speaker's own words.

The keyword judge (``judge.kind = "keyword"``) needs the exact phrase a bot will say. This one
(``judge.kind = "offline"``) reads each new message clause by clause with
:mod:`convsim_core.outcome_reader`: word forms, the outcome's description and a general
vocabulary, negation, questions and offers. It is pure Python, needs no download, and reads
only the newest message (the earlier ones were read when they arrived): a cheap pre-screen
skips messages that share no word stem with any outcome.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

import attrs

from convsim_core.accepted import (
    INFERRED_SCORE,
    accepted_request,
    counter_offer,
    goes_ahead,
    refuses_reply,
)
from convsim_core.judging import NO_OUTCOME_YET, JudgeCall, OutcomeJudge
from convsim_core.language import (
    FAILURE_STEMS,
    FUTURE_WORDS,
    INTENTION_WORDS,
    MODAL_WORDS,
    NEGATORS,
    REGRET_WORDS,
    clauses,
    stem,
    stems,
)
from convsim_core.lexicon import GROUPS, IRREGULAR_PAST, STOPWORDS
from convsim_core.models import (
    Conversation,
    Judgement,
    Message,
    NearMiss,
    Outcome,
    Outcomes,
    ParticipantRole,
)
from convsim_core.outcome_reader import read_message
from convsim_core.outcome_sense import OutcomeSense, Reading
from convsim_core.requested import (
    NOTHING_ASKED,
    asked_request,
    asks_for_something,
    asks_what_is,
    done_as_asked,
)
from convsim_core.state_change import CHANGE_OF_STATE, OPPOSITES


@attrs.frozen
class OutcomeWords:
    """An outcome's keywords and speaker, as the scenario gives them."""

    outcome: str
    keywords: tuple[str, ...] = ()
    said_by: ParticipantRole | None = None


class OfflineJudge(OutcomeJudge):
    """Later reports win, like the keyword judge: "couldn't book" then "booked it" is booked.

    A failure does not undo a success reported before it when it speaks of something else:
    "Your table is booked. Unfortunately they don't have live music." stays booked, and so
    does a chat whose table was booked before "Sorry, I couldn't get you a cab". The answer
    to a proposal the customer accepted is read as that request's outcome
    (:mod:`convsim_core.accepted`).
    """

    def __init__(self, words: Sequence[OutcomeWords] = ()) -> None:
        self._words: Mapping[str, OutcomeWords] = {w.outcome: w for w in words}
        self._senses: dict[int, tuple[OutcomeSense, ...]] = {}
        self._screens: dict[int, _Screen] = {}

    def senses(self, outcomes: Outcomes) -> tuple[OutcomeSense, ...]:
        """The outcomes as the reader sees them (built once per ``Outcomes``)."""
        key = id(outcomes)
        found = self._senses.get(key)
        if found is None:
            built = []
            for outcome in outcomes.outcomes:
                spec = self._words.get(outcome.name, OutcomeWords(outcome.name))
                built.append(_sense(outcome, spec.keywords, spec.said_by))
            found = tuple(built)
            self._senses[key] = found
            self._screens[key] = _Screen.of(found)
        return found

    async def decide(self, call: JudgeCall) -> Judgement:
        return self.judge_latest(call.conversation, call.outcomes, call.previous)

    def judge_latest(
        self, conversation: Conversation, outcomes: Outcomes, previous: Judgement | None
    ) -> Judgement:
        """Synchronous core of :meth:`judge` (re-judging and benchmarks call it directly)."""
        previous = previous or NO_OUTCOME_YET
        messages = conversation.messages
        if not messages:
            return previous
        last = messages[-1]
        senses = self.senses(outcomes)
        if all(s.said_by is not None and s.said_by is not last.sender for s in senses):
            return previous  # no outcome this side can report
        if not _agent_has_spoken(messages):
            # "It shows 'completed' but no money arrived", "my account got banned": before
            # the agent has said a word, the customer describes the situation; nothing has
            # been done in this chat yet.
            return previous
        accepted = accepted_request(messages, senses)
        screen = self._screens[id(outcomes)]
        hit: Reading | None = None
        miss: Reading | None = None
        if accepted or screen.passes(last.content):
            hit, miss = _read(last.content, last.sender, senses, accepted.failures)
        if hit is None and accepted:
            number = accepted.proposal + 1
            hit = counter_offer(last.content, accepted, senses, number) or goes_ahead(
                last.content, accepted, senses, number
            )
        # Nothing said outright: the message may answer the customer's own request (read
        # only now, as most messages that report an outcome say it in words).
        asked = NOTHING_ASKED
        # A go-ahead on a detail ("Can you confirm the address?" - "Yes") that decided
        # nothing leaves the reply answering the request itself.
        if hit is None and screen.passes(last.content, answering=True):
            asked = asked_request(messages, senses)
        if asked:
            if asked.failures:
                hit, found = _read(last.content, last.sender, senses, frozenset(), asked.failures)
                miss = miss or found
            if hit is None:
                hit = done_as_asked(last.content, asked, senses, asked.proposal + 1)
        index = len(messages) - 1
        if hit is not None and hit.outcome.name in failures_of(senses) and only_asked(messages):
            # "Are weekend slots free?" - "They cost 3 pounds and can't be booked the same
            # day": the customer asked how things are, and no request of theirs was refused.
            miss = attrs.evolve(hit, reason="the customer only asked how things are")
            hit = None
        if hit is not None and not accepted and _consolation(hit, last.content, senses, previous):
            # "No, not from here, sorry. I've added a note to the booking": a gesture beside
            # a refusal, not the request done.
            miss = attrs.evolve(hit, reason="a gesture beside a refusal")
            hit = None
        if hit is not None and previous.outcome is not None:
            if hit.outcome == previous.outcome and hit.score < (previous.score or 0.0):
                return previous  # a weaker echo of the outcome already reached
            if hit.score <= INFERRED_SCORE < (previous.score or 1.0):
                return previous  # turn-taking alone never overrules an outcome said in words
            if _other_subject(hit, previous, messages, senses):
                return previous
        if hit is not None:
            return Judgement(
                outcome=hit.outcome,
                rationale=f"{last.sender.value} {hit.verb} {hit.evidence}: {_quote(hit.clause)}",
                message_index=index,
                evidence=hit.evidence,
                score=round(hit.score, 2),
            )
        if miss is not None and _better(miss, previous.nearest_miss):
            return attrs.evolve(previous, nearest_miss=_near_miss(miss, index))
        return previous


@functools.lru_cache(maxsize=1024)
def _sense(
    outcome: Outcome, keywords: tuple[str, ...], said_by: ParticipantRole | None
) -> OutcomeSense:
    # A batch builds one judge per conversation of the same scenario: read each outcome once.
    return OutcomeSense.build(outcome, keywords, said_by)


_Found = tuple[Reading | None, Reading | None]
_READINGS: dict[tuple[object, ...], tuple[tuple[OutcomeSense, ...], _Found]] = {}
_READINGS_MAX = 16384


def _read(
    text: str,
    sender: ParticipantRole,
    senses: tuple[OutcomeSense, ...],
    confirmed: frozenset[str],
    requested: frozenset[str] = frozenset(),
) -> tuple[Reading | None, Reading | None]:
    """:func:`read_message`, remembered per line: bots repeat their templates across a batch.

    Keyed by the senses' identities (each outcome's sense is built once, see :func:`_sense`);
    an entry keeps its senses alive, so an identity cannot be reused while it is remembered.
    """
    key = (text, sender, tuple(map(id, senses)), confirmed, requested)
    entry = _READINGS.get(key)
    if entry is None:
        found = read_message(text, sender, senses, confirmed=confirmed, requested=requested)
        entry = (senses, found)
        if len(_READINGS) >= _READINGS_MAX:
            _READINGS.clear()
        _READINGS[key] = entry
    return entry[1]


def forget_readings() -> None:
    """Drop remembered readings (benchmarks measure the first reading of each line)."""
    _READINGS.clear()


_WORDS = re.compile(r"[a-z0-9]+")
_GENERAL_TRIGGERS = (
    frozenset({"now", "way", "route"})
    | REGRET_WORDS
    | frozenset({"no", "not", "nothing", "none", "cannot", "unable", "unavailable", "out"})
    | frozenset({"t"})  # the tail of every "n't" ("couldn't" is read as "couldn", "t")
    | frozenset({"being", "getting", "arrive", "shortly", "momentarily", "soon", "minutes"})
    | frozenset({"taken", "declined", "rejected", "unsuccessful", "another", "different"})
    | IRREGULAR_PAST
)

_DONE_TRIGGERS = frozenset({"done", "set", "sorted", "go", "are", "care", "dealt"})
"""The words of a bare report that the request is done ("All set", "There you are")."""


@attrs.frozen
class _Screen:
    """A cheap first look: does the message share a word stem with any outcome?

    Most messages share none and skip the clause-by-clause reading. With an outcome about a
    request in general, past forms ("-ed"), "now" and apologies also pass.
    """

    stems: frozenset[str]
    general: bool

    @classmethod
    def of(cls, senses: Sequence[OutcomeSense]) -> _Screen:
        found: set[str] = set()
        for sense in senses:
            for phrase in sense.keywords:
                found.update(phrase)
            for group in sense.groups:
                for phrase in group.phrases:
                    found.update(phrase)
            found.update(sense.words)
            for group in sense.groups:
                found.update(OPPOSITES.get(group.name, ()))  # "your plan won't renew"
            if sense.changes:
                found.update(p[0] for p in CHANGE_OF_STATE.phrases)
                found.add("now")  # "you're now in 14C"
        general = any(g.name == "request" for sense in senses for g in sense.groups)
        return cls(frozenset(found - STOPWORDS), general)

    def passes(self, text: str, answering: bool = False) -> bool:
        """``answering``: the message answers the customer's request, so a general-English
        refusal or a bare "Done!" (:mod:`convsim_core.requested`) passes too."""
        wanted = self.stems
        general = self.general or answering
        for word in _WORDS.findall(text.lower()):
            if stem(word) in wanted:
                return True
            if general and (word in _GENERAL_TRIGGERS or word.endswith(("ed", "un"))):
                return True
            if answering and word in _DONE_TRIGGERS:
                return True
        return False


def _consolation(
    hit: Reading, text: str, senses: Sequence[OutcomeSense], previous: Judgement
) -> bool:
    """A success read from general words (not a keyword) in a reply that opens by refusing
    again a request already failed, with no new proposal accepted in between."""
    failures = failures_of(senses)
    if hit.outcome.name in failures or hit.score >= 1.0:
        return False
    if previous.outcome is None or previous.outcome.name not in failures:
        return False
    parts = clauses(text)
    return bool(parts) and refuses_reply(parts[:1])


def failures_of(senses: Sequence[OutcomeSense]) -> frozenset[str]:
    return frozenset(s.outcome.name for s in senses if s.failure)


def only_asked(messages: Sequence[Message]) -> bool:
    """Whether the customer has so far only asked how things are ("Is parking included?")
    or acknowledged, asking for nothing to be done."""
    said = [m.content for m in messages if m.sender is ParticipantRole.CUSTOMER]
    if not said or not asks_what_is(said[0]) or asks_for_something(said[0]):
        return False
    return all(not asks_for_something(text) for text in said[1:])


def _agent_has_spoken(messages: Sequence[Message]) -> bool:
    return any(m.sender is ParticipantRole.AGENT for m in messages)


def _other_subject(
    failure: Reading,
    success: Judgement,
    messages: Sequence[Message],
    senses: Sequence[OutcomeSense],
) -> bool:
    """Whether a failure speaks of something other than the success already reached.

    "Sorry, I couldn't get you a cab" after "Your table is booked": the table stays booked.
    A failure with no subject of its own ("Sorry, that didn't go through") speaks of the last
    thing, and undoes it. The success's subject is read from its message and the two before
    (the request and its acceptance). Only a success said in words holds: one inferred from
    turn-taking (:mod:`convsim_core.accepted`) yields to any failure said after it.
    """
    kinds = {s.outcome.name: s.failure for s in senses}
    assert success.outcome is not None
    if not kinds.get(failure.outcome.name) or kinds.get(success.outcome.name, True):
        return False
    if success.message_index is None or (success.score or 0.0) <= INFERRED_SCORE:
        return False  # a success only inferred from turn-taking yields to a failure said
    subject = _subject(failure.clause)
    if not subject:
        return False
    start = max(0, success.message_index - 2)
    before = messages[start : success.message_index + 1]
    return subject.isdisjoint(_subject(" ".join(m.content for m in before)))


_COMPLETION_STEMS = frozenset(
    s for group in GROUPS if group.name == "complete" for phrase in group.phrases for s in phrase
)
_NOT_A_SUBJECT = (
    frozenset(
        stem(w)
        for w in (
            *NEGATORS, *REGRET_WORDS, *MODAL_WORDS, *FUTURE_WORDS, *INTENTION_WORDS,
            "able", "find", "get", "moment", "time", "right", "now", "today", "anything",
            "else", "something", "request", "thing", "sure", "after", "again", "still", "yet",
            "already", "back", "through", "go", "went", "gone", "work", "ever", "really",
        )
    )
    | FAILURE_STEMS
    | _COMPLETION_STEMS
)  # fmt: skip
"""Words that say how a request went, not what it was about."""


def _subject(text: str) -> frozenset[str]:
    """The content stems a sentence is about (no function, modal, negating or apology words)."""
    return frozenset(
        s
        for s in stems(text)
        if len(s) > 2 and not s.isdigit() and s not in STOPWORDS and s not in _NOT_A_SUBJECT
    )


def _better(miss: Reading, current: NearMiss | None) -> bool:
    return current is None or (current.score or 0.0) <= miss.score


def _near_miss(miss: Reading, index: int) -> NearMiss:
    return NearMiss(
        outcome=miss.outcome.name,
        message_index=index,
        text=miss.clause,
        reason=f"{miss.evidence}: {miss.reason}",
        score=round(miss.score, 2),
    )


def _quote(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return f'"{text}"' if len(text) <= limit else f'"{text[: limit - 1]}…"'


def keyword_stems(phrases: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Stem phrases of keywords (for goal phrases and callers outside the judge)."""
    return tuple(s for s in (stems(p) for p in phrases) if s)
