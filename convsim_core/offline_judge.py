"""The default offline outcome judge: recognises outcomes in the speaker's own words.

The keyword judge (``judge.kind = "keyword"``) needs the exact phrase a bot will say. This one
(``judge.kind = "offline"``) reads each new message clause by clause with
:mod:`convsim_core.outcome_reader`: word forms, the outcome's description and a general
vocabulary, negation, questions and offers. It is pure Python, needs no download, and reads
only the newest message (the earlier ones were read when they arrived): a cheap pre-screen
skips messages that share no word stem with any outcome.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import attrs

from convsim_core.judging import NO_OUTCOME_YET, OutcomeJudge
from convsim_core.language import stems
from convsim_core.lexicon import IRREGULAR_PAST, STOPWORDS
from convsim_core.models import Conversation, Intent, Judgement, NearMiss, Outcomes, ParticipantRole
from convsim_core.outcome_reader import OutcomeSense, Reading, read_message


@attrs.frozen
class OutcomeWords:
    """An outcome's keywords and speaker, as the scenario gives them."""

    outcome: str
    keywords: tuple[str, ...] = ()
    said_by: ParticipantRole | None = None


class OfflineJudge(OutcomeJudge):
    """Later reports win, like the keyword judge: "couldn't book" then "booked it" is booked."""

    def __init__(self, words: Sequence[OutcomeWords] = ()) -> None:
        self._words: Mapping[str, OutcomeWords] = {w.outcome: w for w in words}
        self._senses: dict[int, tuple[OutcomeSense, ...]] = {}
        self._screens: dict[int, re.Pattern[str]] = {}

    def senses(self, outcomes: Outcomes) -> tuple[OutcomeSense, ...]:
        """The outcomes as the reader sees them (built once per ``Outcomes``)."""
        key = id(outcomes)
        found = self._senses.get(key)
        if found is None:
            built = []
            for outcome in outcomes.outcomes:
                spec = self._words.get(outcome.name, OutcomeWords(outcome.name))
                built.append(OutcomeSense.build(outcome, spec.keywords, spec.said_by))
            found = tuple(built)
            self._senses[key] = found
            self._screens[key] = _screen(found)
        return found

    async def judge(
        self,
        conversation: Conversation,
        outcomes: Outcomes,
        intent: Intent | None,
        previous: Judgement | None,
    ) -> Judgement:
        return self.judge_latest(conversation, outcomes, previous)

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
        if self._screens[id(outcomes)].search(last.content.lower()) is None:
            return previous
        hit, miss = read_message(last.content, last.sender, senses)
        index = len(messages) - 1
        if hit is not None:
            return Judgement(
                outcome=hit.outcome,
                rationale=f"{last.sender.value} said {hit.evidence}: {_quote(hit.clause)}",
                message_index=index,
                evidence=hit.evidence,
                score=round(hit.score, 2),
            )
        if miss is not None and _better(miss, previous.nearest_miss):
            return attrs.evolve(previous, nearest_miss=_near_miss(miss, index))
        return previous


def _screen(senses: Sequence[OutcomeSense]) -> re.Pattern[str]:
    """Word-start prefixes of every stem any outcome could match; misses skip the reader."""
    prefixes: set[str] = set()
    for sense in senses:
        for phrase in sense.keywords:
            prefixes.update(phrase)
        for group in sense.groups:
            for phrase in group.phrases:
                prefixes.update(phrase)
        prefixes.update(sense.words)
    cleaned = sorted(
        {p[:5] if len(p) > 5 else p for p in prefixes if p and p not in STOPWORDS},
        key=len,
        reverse=True,
    )
    alternatives = [rf"\b{re.escape(p)}" for p in cleaned]
    if any(g.name == "request" for sense in senses for g in sense.groups):
        # General "request done / refused" reports: past forms, "now", apologies, "on its way".
        alternatives.append(
            r"\w(?:ed|un)\b|\bnow\b|\bway\b|\broute\b|\bsorry\b|\bunfortun|\bapolog"
        )
        alternatives.append(r"\b(?:" + "|".join(sorted(IRREGULAR_PAST)) + r")\b")
    if not alternatives:
        return re.compile("(?!)")
    return re.compile("|".join(alternatives))


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
