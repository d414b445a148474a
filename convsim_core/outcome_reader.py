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

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import attrs

from convsim_core.clause_acts import (
    ASKING,
    bad_news_about,
    bad_news_lead,
    failure_phrase,
    not_happened,
    reports_action,
    reports_refusal,
)
from convsim_core.frames import SENDING, arrival, still_stands, success_frame
from convsim_core.generic import general_statement
from convsim_core.keyword_match import PARTICLES, keyword_reading, names_a_document, phrasal_matches
from convsim_core.language import (
    CONDITION_WORDS,
    REGRET_WORDS,
    Clause,
    addressed_to_customer,
    clauses,
    ngrams,
    stem,
)
from convsim_core.lexicon import (
    GROUPS,
    RESULT_WORDS,
    Group,
)
from convsim_core.models import ParticipantRole
from convsim_core.outcome_sense import OutcomeSense, Reading, related_failure
from convsim_core.state_change import (
    CHANGE_OF_STATE,
    change_verb,
    negated_opposite,
    now_state,
)


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
        related = related_failure(success, failures)
        if related is not None:
            return Reading(
                related.outcome,
                reading.score,
                reading.clause,
                f"{reading.evidence} refused ({reading.refused})",
            )
    return None


class ClauseContext(NamedTuple):
    """What the messages around a clause tell its reading: the request the customer just
    confirmed, an apology in the clause before, and what the customer asked for outright."""

    confirmed: frozenset[str] = frozenset()
    apologised: str | None = None
    requested: frozenset[str] = frozenset()


def _read_clause(
    clause: Clause, sense: OutcomeSense, grams: set[tuple[str, ...]], around: ClauseContext
) -> Reading | None:
    keyword = keyword_reading(clause, sense, grams)
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
            if len(phrase) == 2 and phrase[1] in PARTICLES and {phrase[:1], phrase[1:]} <= grams
            for start in phrasal_matches(clause, phrase)
        ]
        found = [f for f in found if not names_a_document(clause, f[0] + len(f[1]))]
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
        refusal = reports_refusal(clause, answering, apologised)
        if refusal is None and asked and (stays := still_stands(clause)) is not None:
            refusal = stays  # "after review the ban stands", in answer to "please lift it"
        if refusal is not None:
            return Reading(sense.outcome, 0.6, clause.shown, f'"{refusal}"')
    elif not positions and sense.general_request:
        action = reports_action(clause)
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
        bad_news = bad_news_about(clause, residual, apologised)
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
    negation = clause.words[negators[0]] if negators else failure_phrase(grams)
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
        if clause.words and clause.words[0] in ASKING:
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
    why = not_happened(clause, anchors, ignore=ignore)
    if why:
        return Reading(sense.outcome, score - 0.2, clause.shown, evidence, why)
    return Reading(sense.outcome, score, clause.shown, evidence)


_GROUP_OF_RESULT = {
    word: group.name for group in GROUPS for word in RESULT_WORDS if (stem(word),) in group.phrases
}
"""Result words that belong to one kind of request ("booked", "scheduled": booking)."""


def _other_results(clause: Clause, sense: OutcomeSense) -> list[int]:
    """Result words of another kind of request than the outcome's own: "it is scheduled for
    Thursday" says a booking stands, not that a delivery was moved."""
    own = sense.actions | {"complete"}
    return [i for i, w in enumerate(clause.words) if _GROUP_OF_RESULT.get(w, "complete") not in own]
