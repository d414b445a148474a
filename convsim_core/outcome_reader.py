"""Reading one message for the outcomes it reports, in the speaker's own words.

Each outcome becomes an :class:`OutcomeSense`: its keywords as stem phrases, the vocabulary
groups (:mod:`convsim_core.lexicon`) its description and keywords use, the description's other
content words, and whether it is a *failure* outcome ("could not be enabled"). A clause
reports an outcome when it

- contains one of its keywords (by stems, so "refunds issued" matches "refund issued"), not
  negated and not asked or offered ("Shall I book it?"); or
- uses its vocabulary *and* says it happened: a past form ("refunded", "booked"), a result word
  ("is confirmed", "went through"), or an act that is its own event ("I'm transferring you to
  a supervisor"); failure outcomes instead need the clause to be negated ("I couldn't book").

A negated success is never a success. When the speaker says they cannot do it ("we can't
accept this claim"), the clause reports the failure outcome about the same thing (the one that
shares its vocabulary); otherwise nothing is reached.
Every decision keeps the clause and why, and the best rejected candidate is kept as the
"nearest miss" so a report can say why a chat ended with no outcome.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import attrs

from convsim_core.frames import SENDING, arrival, still_stands, success_frame
from convsim_core.generic import general_statement
from convsim_core.language import (
    CONDITION_WORDS,
    FAILURE_STEMS,
    NEGATORS,
    NEW_PREDICATE,
    REGRET_WORDS,
    Clause,
    addressed_to_customer,
    clauses,
    ngrams,
    normalise,
    refusing_word,
    stem,
    stems,
    words,
)
from convsim_core.lexicon import (
    ATTEMPT_VERBS,
    FAILURE_PHRASES,
    GROUPS,
    INFORMATION_VERBS,
    RESULT_WORDS,
    STOPWORDS,
    Group,
    past_form,
    redone,
)
from convsim_core.models import Outcome, ParticipantRole
from convsim_core.report_cues import arriving, exhausted, only_one, unavailable
from convsim_core.state_change import (
    CHANGE_OF_STATE,
    change_verb,
    changes_state,
    negated_opposite,
    now_state,
)


@attrs.frozen(cache_hash=True)
class OutcomeSense:
    """What the offline judge knows about one outcome."""

    outcome: Outcome
    said_by: ParticipantRole | None
    keywords: tuple[tuple[str, ...], ...]
    keyword_text: tuple[str, ...]
    groups: tuple[Group, ...]
    words: frozenset[str]
    """Content stems of the description that belong to no group."""
    failure: bool
    request_phrases: frozenset[tuple[str, ...]] = frozenset()
    """The vocabulary of the request itself (book, refund...), without "done" or "confirm":
    what a proposal to carry the request out speaks of."""
    primary: frozenset[str] = frozenset()
    """The groups of what the outcome is: its verb's ("was cancelled"), else the first group
    its description names ("got a *refund* for the order"). A general frame ("is on its
    way") reports the outcome only said of these: "your order is on its way" is no refund."""
    changes: bool = False
    """The description names a change of state ("was moved", "got switched"): every verb
    of the family reports it (:mod:`convsim_core.state_change`)."""
    actions: frozenset[str] = frozenset()
    """Groups of the description's verb ("The ticket was *changed*"): when there is one, the
    other groups ("ticket" is booking vocabulary) only say what the outcome is about, so
    "the train booked" does not report a change."""

    @property
    def general_request(self) -> bool:
        """About any request ("the request went through"), not one kind of request."""
        return _any_request(self.groups)

    @classmethod
    def build(
        cls, outcome: Outcome, keywords: Sequence[str], said_by: ParticipantRole | None
    ) -> OutcomeSense:
        # The description is the author's definition; the name (a slug) stands in without one.
        described_as = outcome.description or outcome.name.replace("_", " ")
        text = " ".join((described_as, *keywords))
        described = stems(text)
        grams = ngrams(described)
        groups = tuple(g for g in GROUPS if any(p in grams for p in g.phrases))
        in_groups = {s for g in groups for p in g.phrases for s in p}
        content = frozenset(
            s for s in stems(outcome.description) if s not in STOPWORDS and s not in in_groups
        )
        failure = (
            any(w in NEGATORS or w in FAILURE_STEMS for w in described)
            or any(p in grams for p in FAILURE_PHRASES)
            # "My account stays suspended", "I still have to pay the fine": the state the
            # customer wanted changed persists.
            or _persists(described_as)
        )
        actions = _actions(described_as, groups)
        spelled = [(stems(k), k) for k in keywords if stems(k)]
        spelled += [(v, k) for phrase, k in spelled for v in _redone_variants(phrase, k)]
        return cls(
            outcome=outcome,
            said_by=said_by,
            keywords=tuple(p for p, _ in spelled),
            keyword_text=tuple(k for _, k in spelled),
            groups=groups,
            words=content - {"not", "no", "never"},
            failure=failure,
            request_phrases=frozenset(
                phrase
                # An outcome about any request speaks of every kind of request.
                for group in (GROUPS if _any_request(groups) else groups)
                if not group.act and group.name not in ("complete", "request")
                for phrase in group.phrases
            ),
            actions=actions,
            changes=changes_state(stems(described_as)),
            primary=actions or _first_group(described_as, groups),
        )


def _redone_variants(phrase: tuple[str, ...], written: str) -> list[tuple[str, ...]]:
    """A keyword's past forms done again: "sent" also reads "resent", "booked" "rebooked"
    (an action done again is done; the reverse is not: "rebooked" is a change)."""
    spelled = words(normalise(written))
    if len(spelled) != len(phrase):
        return []
    found = []
    for index, (word, stemmed) in enumerate(zip(spelled, phrase, strict=True)):
        other = redone(stemmed) if past_form(word) else None
        if other is not None:
            found.append((*phrase[:index], other, *phrase[index + 1 :]))
    return found


_PERSISTS = frozenset({"still", "stays", "remains", "stands"})
_OWNERS = frozenset({"my", "your", "our", "the", "a", "an", "this", "that", "their"})


def _persists(description: str) -> bool:
    """ "My account stays suspended", "I still have to pay the fine": the state the customer
    wanted changed persists, a failure (not "the rest of my stays", a noun)."""
    ws = words(normalise(description))
    return any(w in _PERSISTS and (i == 0 or ws[i - 1] not in _OWNERS) for i, w in enumerate(ws))


_PASSIVE = frozenset({"was", "were", "been", "be", "is", "are", "got", "get"})


def _actions(description: str, groups: Sequence[Group]) -> frozenset[str]:
    """The groups of the verb a description reports ("was changed", "got moved"), besides
    completion words; empty when it reports none of its own ("went through")."""
    found: set[str] = set()
    for clause in clauses(description):
        for index in range(1, len(clause.words)):
            if clause.words[index - 1] not in _PASSIVE:
                continue
            for group in groups:
                if group.name != "complete" and any(
                    clause.stems[index : index + len(p)] == p for p in group.phrases
                ):
                    found.add(group.name)
    return frozenset(found)


def _first_group(description: str, groups: Sequence[Group]) -> frozenset[str]:
    """The group whose phrase comes first in the description, besides completion words."""
    said = stems(description)
    best: tuple[int, str] | None = None
    for group in groups:
        if group.name in ("complete", "request"):
            continue
        for phrase in group.phrases:
            for start in range(len(said) - len(phrase) + 1):
                earlier = best is None or start < best[0]
                if earlier and said[start : start + len(phrase)] == phrase:
                    best = (start, group.name)
    return frozenset({best[1]}) if best else frozenset()


def _any_request(groups: Sequence[Group]) -> bool:
    return any(g.name == "request" for g in groups) and not any(g.act for g in groups)


@attrs.frozen
class Reading:
    """One outcome found (or narrowly missed) in a clause."""

    outcome: Outcome
    score: float
    clause: str
    evidence: str
    """The phrase or words that decided it."""
    reason: str = ""
    """Why it did not count; empty for a hit."""
    refused: str = ""
    """For a success negated by inability ("we can't accept this claim"): the words that
    say so. The clause then reports the failure that is its counterpart."""
    verb: str = "said"
    """How the speaker conveyed it, for the rationale ("said", or "answered" a proposal)."""

    @property
    def is_hit(self) -> bool:
        return not self.reason


def read_message(
    text: str,
    sender: ParticipantRole,
    senses: Iterable[OutcomeSense],
    *,
    confirmed: frozenset[str] = frozenset(),
    requested: frozenset[str] = frozenset(),
) -> tuple[Reading | None, Reading | None]:
    """(the outcome this message reports, the nearest miss); the last reporting clause wins.

    ``confirmed``: failure outcomes whose request the customer has just accepted ("Shall I
    book it?" - "Yes"), so an answer that it is not available reports that failure.
    ``requested``: failure outcomes whose request the customer has just asked for ("Can you
    get me an early check-in?"), so a refusal in general English ("Sorry, there is nothing
    more I can do") reports that failure.
    """
    eligible = [s for s in senses if s.said_by is None or s.said_by is sender]
    hit: Reading | None = None
    miss: Reading | None = None
    if not eligible:
        return None, None
    failures = {s.outcome.name for s in eligible if s.failure}
    # "I can't log in", "I have no roaming set up": a customer describing the problem, not
    # the agent failing (unless the outcome is the customer's to report).
    own_situation = sender is ParticipantRole.CUSTOMER
    parts = clauses(text)
    # "Extensions must be bought within 30 days, and yours is past that. Sorry.": an apology
    # at the end governs the bad news before it, as one at the start does.
    trailing = bad_news_lead(parts[-1]) if len(parts) > 1 else None
    apologised: str | None = trailing if trailing in REGRET_WORDS else None
    for position, clause in enumerate(parts):
        best: Reading | None = None
        refusals: list[tuple[OutcomeSense, Reading]] = []
        grams = ngrams(clause.stems)
        answering = confirmed if position < 2 else frozenset()  # the direct answer
        around = ClauseContext(answering, apologised, requested)
        for sense in eligible:
            found = _read_clause(clause, sense, grams, around)
            if found is None:
                continue
            if (
                found.is_hit
                and sense.failure
                and own_situation
                and sense.said_by is None
                and not _to_the_agent(clause)
            ):
                found = attrs.evolve(found, reason="the customer's own situation")
            if found.is_hit:
                if best is None or found.score > best.score:
                    best = found
            else:
                if found.refused and not sense.failure:
                    refusals.append((sense, found))
                if miss is None or found.score >= miss.score:
                    miss = found
        if best is None and refusals and sender is ParticipantRole.AGENT:
            best = _counterpart(refusals, [s for s in eligible if s.failure])
            failing = next((s for s in eligible if best and s.outcome == best.outcome), None)
            if best is not None and failing is not None:
                best = _in_general(best, clause, failing, around)
                if not best.is_hit:
                    miss, best = best, None
        if best is not None and not (
            hit is not None and best.outcome.name in failures and hit.outcome.name not in failures
        ):
            hit = best  # later clauses win, but a failure does not undo a success
        apologised = bad_news_lead(clause) or (trailing if trailing in REGRET_WORDS else None)
    return hit, miss


def _condition(clause: Clause, index: int) -> str | None:
    """A condition word governing ``index`` ("unless you switch it on", "if it fails")."""
    word = clause.hedged_at(index, allow_future=True)
    return word if word in CONDITION_WORDS else None


def _to_the_agent(clause: Clause) -> bool:
    """A customer's clause about what the agent did: "you couldn't even refund it"."""
    return "you" in clause.words or "your" in clause.words


def _counterpart(
    refusals: Sequence[tuple[OutcomeSense, Reading]], failures: Sequence[OutcomeSense]
) -> Reading | None:
    """A success the speaker says they cannot do ("we can't accept this claim") reports the
    failure outcome about the same thing: the one failure that shares its vocabulary."""
    for success, reading in refusals:
        related = [f for f in failures if shares_vocabulary(success, f)]
        if len(related) == 1:
            return Reading(
                related[0].outcome,
                reading.score,
                reading.clause,
                f"{reading.evidence} refused ({reading.refused})",
            )
    return None


def shares_vocabulary(one: OutcomeSense, other: OutcomeSense) -> bool:
    if not one.words.isdisjoint(other.words - FAILURE_STEMS):
        return True
    return bool({g.name for g in one.groups} & {g.name for g in other.groups} - {"complete"})


_APOLOGY_FILLER = frozenset({"no", "i", "am", "we", "are", "so", "very", "really", "truly", "oh"})


def bad_news_lead(clause: Clause) -> str | None:
    """A clause that governs the statement after it as bad news: one that only apologises or
    says no ("Sorry.", "No, sorry." before "That's all I have."), or an attempt ("I tried"
    before "but it is fully booked"). Returns the word that says so."""
    ws = clause.words
    if ws[:1] in (("i",), ("we",)) and (tried := ATTEMPT_VERBS.intersection(ws[1:3])):
        return min(tried)
    if not ws or len(ws) > 4 or not all(w in REGRET_WORDS or w in _APOLOGY_FILLER for w in ws):
        return None
    return next((w for w in ws if w in REGRET_WORDS), "no" if "no" in ws else None)


class ClauseContext(NamedTuple):
    """What the messages around a clause tell its reading: the request the customer just
    confirmed, an apology in the clause before, and what the customer asked for outright."""

    confirmed: frozenset[str] = frozenset()
    apologised: str | None = None
    requested: frozenset[str] = frozenset()


def _read_clause(
    clause: Clause, sense: OutcomeSense, grams: set[tuple[str, ...]], around: ClauseContext
) -> Reading | None:
    keyword = _keyword(clause, sense, grams)
    if keyword is not None and keyword.is_hit:
        return _in_general(keyword, clause, sense, around)
    concept = _concept(clause, sense, grams, around)
    if concept is not None and concept.is_hit:
        return _in_general(concept, clause, sense, around)
    return keyword or concept


def _in_general(
    reading: Reading, clause: Clause, sense: OutcomeSense, around: ClauseContext
) -> Reading:
    """A hit said as a general statement ("refunds are usually issued in 5 days", "spaces
    can't be reserved in advance") is how things go, not this chat's outcome. A failure said
    with regret, or in answer to the customer's request, is this chat's: "Sorry, refunds
    can't be issued after 30 days"."""
    name = sense.outcome.name
    answering = name in around.confirmed or name in around.requested
    regret = around.apologised is not None or not REGRET_WORDS.isdisjoint(clause.words)
    if sense.failure and (answering or regret):
        return reading
    cue = general_statement(clause)
    if cue is None:
        return reading
    return attrs.evolve(reading, score=reading.score - 0.2, reason=f'a general statement ("{cue}")')


def _keyword(clause: Clause, sense: OutcomeSense, grams: set[tuple[str, ...]]) -> Reading | None:
    found: Reading | None = None
    for phrase, written in zip(sense.keywords, sense.keyword_text, strict=True):
        starts = (
            clause.find_all(phrase, use_stems=True) if len(phrase) > 3 or phrase in grams else []
        )
        if not starts and len(phrase) == 2 and {phrase[:1], phrase[1:]} <= grams:
            starts = _either_order(clause, phrase)
        for start in starts:
            reading = _keyword_at(clause, sense, phrase, written, start)
            if reading.is_hit:
                return reading
            found = found or reading
    return found


_DOCUMENTS = frozenset(
    {"link", "request", "form", "code", "page", "option", "process", "policy", "instructions",
     "button", "email", "application", "ticket", "number", "window", "fee"}
)  # fmt: skip
"""Nouns a request word only modifies: a "reset link" or a "refund request" is not a reset
or a refund."""


def _names_a_document(clause: Clause, after: int) -> bool:
    """Whether the word after a group phrase makes it a modifier ("a reset link")."""
    return after < len(clause.words) and clause.words[after] in _DOCUMENTS


_PARTICLES = frozenset({"on", "off", "out", "up", "back", "down", "over"})


def _phrasal(clause: Clause, phrase: tuple[str, ...]) -> list[int]:
    """A phrasal verb with its object inside: "turn the wifi on" for "turn on", "sort it
    out" for "sort out" (at most two words between, in one segment)."""
    if len(phrase) != 2 or phrase[1] not in _PARTICLES:
        return []
    found = []
    for start in clause.find_all(phrase[:1], use_stems=True):
        for gap in (2, 3):
            end = start + gap
            if end < len(clause.stems) and clause.stems[end] == phrase[1]:
                if clause.segments[end] == clause.segments[start]:
                    found.append(start)
                break
    return found


def _either_order(clause: Clause, phrase: tuple[str, ...]) -> list[int]:
    """A two-word keyword in the other order, close together: "charge reversed" in "I've
    reversed the second charge", "refund issued" in "I issued your refund"."""
    if len(phrase) != 2 or phrase[0] in STOPWORDS or phrase[1] in STOPWORDS:
        return []
    later, earlier = phrase
    for start in clause.find_all((earlier,), use_stems=True):
        window = clause.stems[start + 1 : start + 4]
        if (
            later in window
            and clause.segments[start + 1 + window.index(later)] == clause.segments[start]
        ):
            return [start]
    return []


def _keyword_at(
    clause: Clause, sense: OutcomeSense, phrase: tuple[str, ...], written: str, start: int
) -> Reading:
    negative = any(s in NEGATORS or s in FAILURE_STEMS for s in phrase)
    reason = ""
    if clause.words and clause.words[0] in _ASKING and not negative:
        reason = "asked, not told"
    elif clause.is_offer and not negative:
        reason = "a question or an offer"
    elif not negative and (position := clause.negator_of(start)) is not None:
        negator = clause.words[position]
        refused = clause.refusal_of(start) or ""
        return Reading(
            sense.outcome, 1.0, clause.shown, f'"{written}"', f'negated ("{negator}")', refused
        )
    elif not negative and (word := clause.hedged_at(start, allow_future=True)):
        reason = f'not done yet ("{word}")'
    elif not negative and (_base_form_of_past(clause, start, written) or _one_word(written, sense)):
        reason = _not_happened(clause, range(start, start + len(phrase)))
    return Reading(sense.outcome, 1.0, clause.shown, f'"{written}"', reason)


def _one_word(written: str, sense: OutcomeSense) -> bool:
    """A keyword with no word of a past form ("refund", "upgrade", "visitor permits", "aisle
    seat") names what was asked for, not that it happened: "the refund goes to your card" is
    how refunds work, "visitor permits are for cars only" a rule, "there are aisle seats
    available" an offer of what there is. The clause must still say it happened. A failure's
    words ("declined", "no refund") say it on their own."""
    spelled = words(normalise(written))
    return bool(spelled) and not sense.failure and not any(map(_is_past, spelled))


def _base_form_of_past(clause: Clause, start: int, written: str) -> bool:
    """A keyword written as done ("cancelled") found in its base form ("cancel it please"):
    the clause must still say it happened."""
    spelled = words(normalise(written))
    for offset, word in enumerate(spelled):
        if start + offset >= len(clause.words):
            return False
        found = clause.words[start + offset]
        if _is_past(word) and not _is_past(found):
            return True
    return False


def _is_past(word: str) -> bool:
    return past_form(word)


_ASKING = frozenset({"can", "could", "would", "shall", "should", "do", "does", "did", "will"})


def _concept(
    clause: Clause, sense: OutcomeSense, grams: set[tuple[str, ...]], around: ClauseContext
) -> Reading | None:
    confirmed, apologised, requested = around
    positions: list[tuple[int, Group | None]] = []
    spans: list[str] = []
    context: list[int] = []
    for group in sense.groups:
        found = [
            (start, phrase)
            for phrase in group.phrases
            if phrase in grams
            for start in clause.find_all(phrase, use_stems=True)
        ] or [
            (start, phrase)
            for phrase in group.phrases
            if len(phrase) == 2 and phrase[1] in _PARTICLES and {phrase[:1], phrase[1:]} <= grams
            for start in _phrasal(clause, phrase)
        ]
        found = [f for f in found if not _names_a_document(clause, f[0] + len(f[1]))]
        if found:
            # A word may occur twice; a failure reads the negated occurrence, a success the
            # other ("only refunded within 14 days, so I am not able to refund it").
            start, phrase = next(
                (f for f in found if (clause.negator_of(f[0]) is not None) == sense.failure),
                found[0],
            )
            spans.append(" ".join(clause.words[start : start + len(phrase)]))
            positions.append((start, group))
            if sense.actions and group.name not in sense.actions and group.name != "complete":
                context.append(start)  # what it is about, not what happened to it
    acting = {i for i, g in positions if g is not None and g.name in sense.actions}
    context = [i for i in context if i not in acting]  # "removed" is also a way to waive
    residual = (
        [i for i, s in enumerate(clause.stems) if s in sense.words]
        if not sense.words.isdisjoint(clause.stems)
        else []
    )
    if not any(g is not None and g.name != "complete" for _, g in positions) and residual:
        # "I've updated your plan" for "the plan was switched"; "we can't change penalties"
        # refuses any action on them.
        verb = change_verb(clause)
        if verb is not None and (sense.changes or clause.refusal_of(verb)):
            positions.append((verb, CHANGE_OF_STATE))
            spans.append(clause.words[verb])
    answering = sense.outcome.name in confirmed
    asked = sense.outcome.name in requested
    if not positions and not sense.failure and not clause.is_offer:
        said = negated_opposite(clause, sense.groups, sense.words)
        if said is None and sense.changes:
            said = now_state(clause, sense.words)
        if said is not None:
            return Reading(sense.outcome, 0.65, clause.shown, f'"{said}"')
    if sense.failure and (sense.general_request or answering or asked):
        # Refusals in general English ("No, sorry. Just the one slot.") tell whether or not
        # the clause also names the request.
        refusal = _reports_refusal(clause, answering, apologised)
        if refusal is None and asked and (stays := still_stands(clause)) is not None:
            refusal = stays  # "after review the ban stands", in answer to "please lift it"
        if refusal is not None:
            return Reading(sense.outcome, 0.6, clause.shown, f'"{refusal}"')
    elif not positions and sense.general_request:
        action = _reports_action(clause)
        if action is not None:
            return Reading(sense.outcome, 0.6, clause.shown, f'"{action}"')
    if (positions or residual) and not sense.failure:
        # "A new card is on its way": a general frame about the outcome's own thing. Only
        # the thing itself does not do for an outcome of another action: "Your order is on
        # its way" does not report "the order was cancelled".
        frame = success_frame(clause)
        own = [g for _, g in positions if g is not None and g.name in sense.primary]
        sent = frame is not None and arrival(frame) and bool(sense.primary & SENDING)
        if frame is not None and sense.primary and not own and not sent:
            frame = None
        if frame is not None:
            matched = sorted({*spans, *(clause.words[i] for i in residual)})
            return Reading(sense.outcome, 0.65, clause.shown, ", ".join([*matched, f'"{frame}"']))
    if sense.failure and residual and not positions:
        bad_news = _bad_news_about(clause, residual, apologised)
        if bad_news is not None:
            return Reading(sense.outcome, 0.6, clause.shown, bad_news)
    specific = [g for _, g in positions if g is not None and g.name != "complete"]
    if not positions and len(residual) < 2:
        return None
    matched = sorted(set(spans) | {clause.words[i] for i in residual})
    evidence = ", ".join(matched)
    score = min(0.95, 0.5 + 0.15 * len(positions) + 0.05 * len(residual))
    anchors = [i for i, _ in positions] or residual
    negators = [p for i in anchors if (p := clause.negator_of(i)) is not None]
    negation = clause.words[negators[0]] if negators else _failure_phrase(clause)
    if sense.failure:
        if negators and all(clause.conditional_at(p) for p in negators):
            return Reading(sense.outcome, score - 0.3, clause.shown, evidence, "a conditional")
        if negators and all(addressed_to_customer(clause.words, p) for p in negators):
            # "you won't be charged unless you switch it on": a consequence for the customer
            return Reading(sense.outcome, score - 0.3, clause.shown, evidence, "said of you")
        condition = next((w for i in anchors if (w := _condition(clause, i))), None)
        if condition is not None:
            return Reading(sense.outcome, score - 0.3, clause.shown, evidence, f'"{condition}"')
        if negation is None:
            return Reading(sense.outcome, score - 0.3, clause.shown, evidence, "not negated")
        if "yet" in clause.words:  # "the refund hasn't been issued yet": still to come
            return Reading(
                sense.outcome, score - 0.3, clause.shown, evidence, 'not done yet ("yet")'
            )
        if clause.words and clause.words[0] in _ASKING:
            return Reading(sense.outcome, score - 0.2, clause.shown, evidence, "asked, not told")
        return Reading(sense.outcome, score, clause.shown, evidence)
    if negation is not None:
        refused = next((r for i in anchors if (r := clause.refusal_of(i))), "")
        return Reading(
            sense.outcome,
            score - 0.2,
            clause.shown,
            evidence,
            f'negated ("{negation}")',
            "" if clause.is_offer else refused,
        )
    if clause.is_offer:
        return Reading(sense.outcome, score - 0.2, clause.shown, evidence, "a question or an offer")
    if (
        not specific
        and not residual
        and len(positions) < 2
        and not any(g.name == "complete" for g in sense.groups)
    ):
        return None  # only "confirmed"/"done": enough when the outcome is about completion
    acts = [i for i, g in positions if g is not None and g.act]
    for index in acts:
        if clause.hedged_at(index, allow_future=True) is None:
            return Reading(sense.outcome, score, clause.shown, evidence)
    ignore = context + _other_results(clause, sense) if sense.actions else []
    why = _not_happened(clause, anchors, ignore=ignore)
    if why:
        return Reading(sense.outcome, score - 0.2, clause.shown, evidence, why)
    return Reading(sense.outcome, score, clause.shown, evidence)


_WENT = frozenset({"went", "gone", "got", "gotten", "come", "came"})
_AFTER_OPENING_VERB = frozenset(
    {"the", "a", "an", "your", "it", "to", "for", "on", "in", "up", "that", "this", "you"}
) | frozenset({"playing", "booking", "sending", "processing"})
_BE = frozenset({"is", "are", "was", "were", "now", "been"})


def _reports_action(clause: Clause) -> str | None:
    """A report that a request has been carried out, for outcomes about a request in general.

    First-person past ("I've started it", "I added it"), a clause opening with a past verb
    ("Added to your list"), a perfect ("the song has begun", "it has been added"), an action
    under way now ("playing now", "it is starting now") or a dispatch ("it is on its way").
    Information found ("I found 3 hotels") is not an action carried out.
    """
    ws = clause.words
    if clause.is_offer or not ws:
        return None
    for phrase in _UNDER_WAY:
        if clause.find(phrase) is not None and not clause.negated_at(clause.find(phrase) or 0):
            return " ".join(phrase)
    for index, word in enumerate(ws):
        now = (index + 1 < len(ws) and ws[index + 1] == "now") or (index and ws[index - 1] == "now")
        if (
            word.endswith("ing")
            and now
            and not clause.hedged_at(index)
            and not clause.negated_at(index)
        ):
            return f"{word} now"
        if (
            word in ("being", "getting")
            and index + 1 < len(ws)
            and _participle(ws[index + 1])
            and not clause.negated_at(index)
            and not clause.hedged_at(index)
        ):
            return f"{word} {ws[index + 1]}"  # progressive passive: "it is being processed"
        imminent = word == "now" and index == len(ws) - 1 and index >= 2 and ws[index - 2] == "will"
        if imminent and not clause.negated_at(index - 1):
            return f"will {ws[index - 1]} now"  # imminent: "the show will start now"
    arrival = arriving(clause)
    if arrival is not None:
        return arrival
    perfect = _perfect(clause)
    if perfect is not None:
        return perfect
    position = 1 if ws[0] == "i" else 0
    if position < len(ws) and ws[position] == "just":
        position += 1
    if position >= len(ws):
        return None
    verb = ws[position]
    if position == 0 and (len(ws) < 2 or ws[1] not in _AFTER_OPENING_VERB):
        return None  # "Started playing it", "Added to your list"; not "United Airlines has..."
    if not _participle(verb) or clause.negated_at(position):
        return None
    return verb


def _participle(word: str) -> bool:
    regular = word.endswith("ed") and len(word) > 3 and not word.endswith("eed")
    return (
        word not in INFORMATION_VERBS
        and word not in ATTEMPT_VERBS
        and (
            regular
            or (past_form(word) and not word.endswith("ed"))
            or word in ("begun", "agreed", "succeeded")
        )
    )


_UNDER_WAY = (("on", "its", "way"), ("on", "the", "way"), ("on", "their", "way"), ("en", "route"))
_SEARCHING = frozenset(
    {"find", "found", "search", "searched", "look", "looked", "see", "match", "matching"}
)


def _reports_refusal(
    clause: Clause, confirmed: bool = False, apologised: str | None = None
) -> str | None:
    """A request that could not be done: "Sorry, I can't do that", "it cannot be played".

    Inability, not any negation: "Sorry, the flat is not furnished" describes the flat. An
    apology with inability ("Sorry, I couldn't find any") or with unavailability ("sorry, that
    slot is fully booked") is the request failing; so are options that ran out ("no other
    times"). Right after the customer confirmed the request, "there are no rooms left" is its
    failure too, apology or not, and so is an apology alone ("I'm sorry, the office closes at
    5"): the answer to a go-ahead that apologises did not go ahead, or that offers another
    option ("Would you like another time?"). A request "declined", "rejected", "unsuccessful"
    or "failed" says so outright. ``apologised``: the clause before only apologised or said
    no ("No, sorry. Just the one.").
    """
    ws = clause.words
    if confirmed and clause.is_offer and (other := _ALTERNATIVES.intersection(ws)):
        return f"offers {min(other)}"  # the request as accepted is not to be
    if not ws or ws[0] in _ASKING or ws[0] in CONDITION_WORDS:
        return None  # "If it's declined, you can appeal": a failure that may come, not one
    if "because" in ws:
        # "Your account was blocked because the last payment failed": the cause explained.
        ws = ws[: ws.index("because")]
        if not ws:
            return None
    if clause.is_question:
        # "Sorry, there is no room left, can I help with anything else?": the statement
        # before the closing question still tells.
        last = clause.segments[-1]
        ws = tuple(w for w, n in zip(ws, clause.segments, strict=True) if n != last)
        if not ws or ws[0] in _QUESTION_START:
            return None
    regret = next((w for w in ws if w in REGRET_WORDS), None)
    if regret is None and (apologised in REGRET_WORDS or apologised in ATTEMPT_VERBS):
        regret = apologised
    opening = tuple(w for w, n in zip(clause.words, clause.segments, strict=True) if n == 0)
    if (answer := _regretful_no(ws) or _regretful_no(opening)) is not None:
        return answer
    if regret is not None and (stays := still_stands(clause)) is not None:
        return f"{regret} ... {stays}"  # "Sorry, the fee stands"
    said_no = ws[0] == "no" or apologised == "no"
    ran_out = exhausted(ws) or (only_one(ws) if regret or said_no else None)
    if ran_out is not None:
        return f"{regret} ... {ran_out}" if regret else ran_out
    if confirmed:
        negator = refusing_word(ws)
        if negator is not None:
            return f"{regret} ... {negator}" if regret else negator
        if regret is not None:
            return regret
    gone = unavailable(clause)
    if gone is not None and (regret is not None or confirmed):
        return f"{regret} ... {gone}" if regret else gone
    barred = _barred(ws) if regret is not None or confirmed else None
    if barred is None and regret is not None and ("can", "only") in itertools.pairwise(ws):
        barred = "can only"  # "bags can only be added at the airport, sorry"
    if barred is not None:
        return f"{regret} ... {barred}" if regret else barred
    outright = _failed_outright(ws)
    if outright is not None:
        return f"{regret} ... {outright}" if regret else outright
    if regret is None and (any(w in _SEARCHING for w in ws) or "there" in ws):
        return None  # "I could not find it in the FAQ" alone is a report, not a refusal
    for index, word in enumerate(ws):
        before = ws[index - 1] if index else ""
        after = ws[index + 1] if index + 1 < len(ws) else ""
        unable = (
            word in ("unable", "failed")
            or (
                word == "not"
                and (before in _MODAL_BEFORE_NOT or (before in _BE and after == "able"))
            )
            or _no_means(ws, index)
        )
        if not unable or (regret is None and addressed_to_customer(ws, index)):
            continue  # "you will not be charged" tells a consequence, not a refusal
        if _NOT_HEARD.intersection(ws[index + 1 : index + 3]):
            continue  # "Sorry, I didn't catch that": a misunderstanding, no request failed
        passive = index + 2 < len(ws) and ws[index + 1] == "be" and _participle(ws[index + 2])
        # "I can't order one from chat": the speaker declining in their own name.
        declined = index >= 2 and ws[index - 2] in ("i", "we") and ws[index - 1] in _CAN_NOT
        if regret is not None or passive or declined:
            said = f"{ws[index - 1]} not" if word == "not" else word
            return f"{regret} ... {said}" if regret else said
    return None


_MODAL_BEFORE_NOT = frozenset({"can", "could", "will", "did"})
_PERMITTED = frozenset({"allowed", "permitted", "authorised", "authorized", "able", "possible"})
_MEANS = frozenset({"way", "means", "option", "ability", "access", "authority", "power"})
_AM = _BE | {"am"}
_NOTHING_I_CAN = frozenset((who, can) for who in ("i", "we") for can in ("can", "could"))


_CAN_NOT = frozenset({"can", "could"})
_BARS = frozenset({"outside", "against", "beyond"})
_RULES = frozenset({"policy", "policies", "terms", "rules", "conditions", "remit"})
_LATE = (("too", "late"), ("is", "past"), ("are", "past"), ("has", "expired"), ("have", "expired"))


def _barred(ws: Sequence[str]) -> str | None:
    """A rule or a deadline stands in the way: "that's outside our policy", "it's against
    our terms", "yours is past that", "the offer has expired", "it's too late to change"."""
    for index, word in enumerate(ws):
        if word in _BARS and not _RULES.isdisjoint(ws[index + 1 : index + 4]):
            return " ".join(ws[index : index + 3])
        if tuple(ws[index : index + 2]) in _LATE:
            return " ".join(ws[index : index + 2])
    return None


_PENDING = frozenset({"yet", "still", "until", "once", "if", "when", "unless"})


def _bad_news_about(clause: Clause, topic: Sequence[int], apologised: str | None) -> str | None:
    """Regret and a negation said of the outcome's own thing: "Unfortunately the claim isn't
    covered by your policy", "I'm afraid the claim was not accepted". Not news still to come
    ("sorry, the claim isn't ready yet") nor a consequence for the customer ("you won't
    ..."), and not a question."""
    ws = clause.words
    regret = next((w for w in ws if w in REGRET_WORDS), None) or (
        apologised if apologised in REGRET_WORDS else None
    )
    if regret is None or clause.is_offer or not _PENDING.isdisjoint(ws):
        return None
    for index in topic:
        for after in range(index + 1, min(len(ws), index + 4)):
            if clause.segments[after] != clause.segments[index] or ws[after] in NEW_PREDICATE:
                break
            if ws[after] in NEGATORS and not addressed_to_customer(ws, after):
                return f"{regret} ... {ws[index]} ... {ws[after]}"
    return None


def _no_means(ws: Sequence[str], index: int) -> bool:
    """Inability said without "can't": "I'm not allowed to", "we are not authorised to",
    "I'm not in a position to", "I don't have a way to", "there is no way to", "we have no
    option to". General English of a support desk that will not do something."""
    word = ws[index]
    before = ws[index - 1] if index else ""
    after = ws[index + 1 : index + 4]
    if word == "nothing" and (tuple(after[:2]) in _NOTHING_I_CAN or before in ("have", "is")):
        return True  # "there's nothing I can do", "we have nothing at 8"
    if word == "not" and before in _AM:
        position = tuple(after[:3]) == ("in", "a", "position")
        return bool(after) and (after[0] in _PERMITTED or position)
    if word == "not" and before in ("do", "does") and after[:1] == ("have",):
        return not _MEANS.isdisjoint(after[1:])
    return word == "no" and not _MEANS.isdisjoint(after[:2])


_BARE_NO = frozenset({"no", "not", "nope"})


def _regretful_no(ws: Sequence[str]) -> str | None:
    """A refusal said as a bare answer with regret: "Sorry, no.", "Unfortunately not.",
    "I'm afraid not", "No, I'm sorry". Nothing else in the clause: "Sorry, no worries" or
    "Unfortunately not all of them" say more than no."""
    if not ws or len(ws) > 5 or _BARE_NO.isdisjoint(ws) or REGRET_WORDS.isdisjoint(ws):
        return None
    if not all(w in REGRET_WORDS or w in _APOLOGY_FILLER or w in _BARE_NO for w in ws):
        return None
    return " ".join(ws)


_ALTERNATIVES = frozenset({"another", "different", "instead", "alternative", "other"})
_FAILED = frozenset({"failed", "declined", "rejected", "unsuccessful", "denied"})
_NOT_HEARD = frozenset({"understand", "catch", "hear", "follow"})


def _failed_outright(ws: Sequence[str]) -> str | None:
    """ "The payment was declined", "the booking failed": a word that reports the failure
    itself. Not "I failed to understand that" (a misunderstanding, no request failed)."""
    for index, word in enumerate(ws):
        if word in _FAILED and not _NOT_HEARD.intersection(ws[index + 1 : index + 3]):
            return word
    return None


_QUESTION_START = _ASKING | frozenset({"is", "are", "what", "which", "how", "any", "anything"})


def _perfect(clause: Clause) -> str | None:
    """ "I've added it", "your visit has been scheduled", "your event was added"."""
    ws = clause.words
    for index, word in enumerate(ws[:-1]):
        auxiliary = word in ("has", "have") or (word in ("was", "were") and ws[0] == "your")
        if not auxiliary:
            continue
        following = ws[index + 1]
        if following == "been" and index + 2 < len(ws):
            following = ws[index + 2]
        elif index and ws[index - 1] == "you":
            continue  # "make sure you've downloaded everything": the customer's doing
        if (
            _participle(following)
            and not clause.hedged_at(index)
            and not clause.negated_at(index + 1)
        ):
            return f"{word} {following}"
    return None


_MANAGED = (("was", "able", "to"), ("were", "able", "to"), ("managed", "to"))


def _failure_phrase(clause: Clause) -> str | None:
    grams = ngrams(clause.stems)
    for phrase in FAILURE_PHRASES:
        if phrase in grams:
            return " ".join(phrase)
    return None


_STATE = frozenset({"is", "are"})


def _after(index: int, anchors: Sequence[int], distance: int = 3) -> bool:
    return any(0 < index - a <= distance for a in anchors)


_GROUP_OF_RESULT = {
    word: group.name for group in GROUPS for word in RESULT_WORDS if (stem(word),) in group.phrases
}
"""Result words that belong to one kind of request ("booked", "scheduled": booking)."""


def _other_results(clause: Clause, sense: OutcomeSense) -> list[int]:
    """Result words of another kind of request than the outcome's own: "it is scheduled for
    Thursday" says a booking stands, not that a delivery was moved."""
    return [
        i
        for i, w in enumerate(clause.words)
        if _GROUP_OF_RESULT.get(w, "complete") not in sense.actions | {"complete"}
    ]


def _not_happened(clause: Clause, anchors: Sequence[int], ignore: Sequence[int] = ()) -> str:
    """Why the clause does not say it happened; empty when it does. ``ignore``: words that
    only say what the outcome is about ("the train *booked*" for a change of ticket)."""
    if clause.words[:2] in (("there", "is"), ("there", "are")):
        return "describes what there is"  # "there are 3 events scheduled"
    if _perfect(clause) is not None or any(clause.find(p) is not None for p in _MANAGED):
        return ""
    for index, word in enumerate(clause.words):
        if index in ignore:
            continue
        happened = word in RESULT_WORDS or (past_form(word) and index in anchors)
        if word == "now" and any(0 < a - index <= 3 for a in anchors):
            happened = True
        if word == "now" and index and clause.words[index - 1] in _STATE and _after(index, anchors):
            happened = True  # a state reached: "the shipping address is now 4 Oak Road"
        if word == "through" and index and clause.words[index - 1] in _WENT:
            happened = True
        if word in ("complete", "set") and index and clause.words[index - 1] in _BE | {"all"}:
            happened = True  # "is complete", "you're all set", "the alarm is set"
        if happened:
            hedge = clause.hedged_at(index)
            if hedge is None:
                return ""
            return f'not done yet ("{hedge}")'
    return "does not say it happened"
