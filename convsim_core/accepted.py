"""Turn-taking: the agent proposes a request, the customer says yes, the next message answers.

Support chats settle a request in three turns. The agent proposes to carry it out ("Shall I
book it?", "Please confirm: 2 seats at 7 pm", or just restates it: "4 tickets for Friday
at 7 pm."), the customer accepts ("Yes, that's right"), and the agent's next message *is* the
outcome, whatever its words: a refusal or an apology is the request failing, and a plain
statement that neither refuses nor asks again ("Enjoy the show.", "It starts at 7 pm.") is
the request going ahead, as a person reading the chat would take it. A reply that names another time
than the one agreed ("That will be at 6 pm" after "7 pm?" - "Yes") is a counter-offer: the
request as accepted was not done. This module finds that structure in the last three
messages; it knows the outcomes only through their vocabulary.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import attrs

from convsim_core.assent import affirms, only_acknowledges, says_yes
from convsim_core.language import (
    FAILURE_STEMS,
    NEGATORS,
    REGRET_WORDS,
    Clause,
    clauses,
    ngrams,
    refusing_word,
    stems,
)
from convsim_core.lexicon import INFORMATION_VERBS
from convsim_core.models import Message, ParticipantRole
from convsim_core.outcome_sense import OutcomeSense, Reading
from convsim_core.report_cues import completion, own_action


@attrs.frozen
class Accepted:
    """The request the customer has just accepted, as the outcomes it can end in."""

    proposal: int
    """Index of the agent's proposal (``-1``: nothing accepted)."""
    failures: frozenset[str] = frozenset()
    """Failure outcomes the proposal was about: a refusal now is that failure."""
    successes: frozenset[str] = frozenset()
    """Success outcomes it was about: a plain statement now is that success."""
    times: frozenset[str] = frozenset()
    """Clock times the proposal and the yes named (24-hour "HH:MM")."""

    def __bool__(self) -> bool:
        return bool(self.failures or self.successes)


NOTHING_ACCEPTED = Accepted(-1)
INFERRED_SCORE = 0.55
"""The score of an outcome read from turn-taking alone: below any outcome said in words."""


def accepted_request(messages: Sequence[Message], senses: Sequence[OutcomeSense]) -> Accepted:
    """What the newest (agent) message answers: the request the customer just said yes to."""
    if len(messages) < 3:
        return NOTHING_ACCEPTED
    proposal, answer, reply = messages[-3], messages[-2], messages[-1]
    agent, customer = ParticipantRole.AGENT, ParticipantRole.CUSTOMER
    if reply.sender is not agent or answer.sender is not customer or proposal.sender is not agent:
        return NOTHING_ACCEPTED
    if not affirms(answer.content):
        return NOTHING_ACCEPTED
    parts = clauses(proposal.content)
    offers = [c for c in parts if c.is_offer and not _condition(c)]
    asks = any(asks_to_confirm(c) for c in offers)
    # A restatement the customer says yes to ("4 tickets for Friday." - "Yes, that works") is
    # a proposal too; not information acknowledged ("The fare is $20." - "OK, great").
    restated = (
        [c for c in parts if not c.is_offer and not _informs(c)]
        if says_yes(answer.content) and not any(refuses(c) for c in parts)
        else []
    )
    spoken = _grams((*offers, *restated))
    failures: set[str] = set()
    successes: set[str] = set()
    for sense in senses:
        if sense.said_by is not None and sense.said_by is not agent:
            continue
        general = sense.general_request
        # The proposal speaks of the outcome's own request (its vocabulary, not "done").
        proposed = (
            (asks and (general or sense.failure))
            or (general and any(_offers_to_act(c) for c in offers))
            or not sense.request_phrases.isdisjoint(spoken)
        )
        if proposed:
            (failures if sense.failure else successes).add(sense.outcome.name)
    if not failures and not successes and any(_offers_for_it(c) for c in offers):
        # "Shall I add it?": the proposal names no request, so it is the one the customer
        # asked for before it ("Can you turn on roaming for me?").
        for sense in senses:
            mine = sense.said_by is None or sense.said_by is agent
            if mine and customer_spoke_of(sense, messages[:-3]):
                (failures if sense.failure else successes).add(sense.outcome.name)
    agreed = clock_times(proposal.content) | clock_times(answer.content)
    return Accepted(len(messages) - 3, frozenset(failures), frozenset(successes), agreed)


_IT = frozenset({"it", "that", "this", "them", "ahead", "so"})


def _offers_for_it(clause: Clause) -> bool:
    """ "Shall I add it?", "Do you want me to go ahead?": an offer to act on what was said."""
    return _offers_to_act(clause) and not _IT.isdisjoint(clause.words[-3:])


def customer_spoke_of(sense: OutcomeSense, messages: Sequence[Message]) -> bool:
    """Whether the customer used the outcome's vocabulary (its request phrases, keywords or
    content words; not its words of failing, which nobody asks for) in ``messages``."""
    vocabulary = _vocabulary(sense)
    return any(
        not vocabulary.isdisjoint(_message_grams(m.content))
        for m in messages
        if m.sender is ParticipantRole.CUSTOMER
    )


@functools.lru_cache(maxsize=4096)
def _message_grams(text: str) -> frozenset[tuple[str, ...]]:
    return frozenset(ngrams(stems(text)))


@functools.lru_cache(maxsize=1024)
def _vocabulary(sense: OutcomeSense) -> frozenset[tuple[str, ...]]:
    found = set(sense.request_phrases)
    found.update(k for k in sense.keywords if not (set(k) & (NEGATORS | FAILURE_STEMS)))
    found.update((w,) for w in sense.words - FAILURE_STEMS if len(w) > 2)
    return frozenset(found)


_OFFERING = frozenset({"like", "want", "prefer", "wish", "need"})


def _condition(clause: Clause) -> bool:
    """ "If you cancel before the 15th, you won't be charged": what would happen, not an
    offer; "If you'd like, I can move it" still offers."""
    ws = clause.words
    return ws[:1] == ("if",) and _OFFERING.isdisjoint(ws[1:5])


def _informs(clause: Clause) -> bool:
    """ "There is a bus at 7 am", "I found 2 flights": what there is, not what will be done."""
    ws = clause.words
    if ws[:2] in (("there", "is"), ("there", "are")):
        return True
    opening = ws[:4]
    return ("i" in opening or "we" in opening) and not INFORMATION_VERBS.isdisjoint(opening)


_CONFIRMING = (
    ("confirm",), ("is", "that", "correct"), ("is", "that", "right"), ("verifi",),
    ("the", "follow"), ("review",),
)  # fmt: skip


def asks_to_confirm(clause: Clause) -> bool:
    """ "Please confirm: 2 seats at 7 pm", "Is that correct?", "Please review the following
    details": the agent asks to go ahead with a request as stated, whatever its words, so a
    yes makes the request the customer's."""
    return any(clause.find(p, use_stems=True) is not None for p in _CONFIRMING)


_AGENT_ACTS = (
    ("shall", "i"), ("should", "i"), ("want", "me", "to"), ("like", "me", "to"), ("can", "i"),
    ("may", "i"), ("shall", "we"), ("should", "we"),
)  # fmt: skip


def _offers_to_act(clause: Clause) -> bool:
    """ "Shall I move it to Friday?", "Would you like me to order it?": the agent offers to
    carry out a request (for outcomes about any request). "Can I help with anything else?"
    offers nothing in particular."""
    ws = clause.words
    if not _CLOSING.isdisjoint(ws) or ws[0] in _WH_WORDS:
        return False  # "Which city should I search?" asks for a detail, not for a go-ahead
    for phrase in _AGENT_ACTS:
        start = clause.find(phrase)
        if start is not None:
            verb = ws[start + len(phrase)] if start + len(phrase) < len(ws) else ""
            return verb not in _LOOKING  # "Shall I check the times?" only offers information
    return False


_WH_WORDS = frozenset({"what", "which", "where", "when", "who", "whom", "whose", "how", "why"})
_LOOKING = frozenset(
    {"search", "find", "look", "check", "show", "tell", "see", "list", "locate", "give", "read"}
)


def _grams(parts: Sequence[Clause]) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for clause in parts:
        found |= ngrams(clause.stems)
    return found


def refuses(clause: Clause) -> bool:
    """A clause that negates, reports a failure or apologises: no go-ahead."""
    return refusing_word(clause.words) is not None or not REGRET_WORDS.isdisjoint(clause.words)


_CAN = frozenset({"can", "could"})


def refuses_reply(parts: Sequence[Clause]) -> bool:
    """Whether a reply refuses. A reply that opens by saying it is done ("All sorted. No
    payments will be taken during the freeze.") refuses only with regret, a failure word or
    inability: its plain negations tell the customer what follows, not a refusal."""
    if not parts:
        return False
    # "I've paused your membership until March, no fees": the speaker's own completed
    # action reports it done, as an opening "All sorted" does.
    if completion(parts[0]) is None and not any(own_action(c) for c in parts):
        return any(refuses(c) for c in parts)
    return any(_refuses_outright(c) for c in parts)


def _refuses_outright(clause: Clause) -> bool:
    ws = clause.words
    if "because" in ws:
        ws = ws[: ws.index("because")]  # "retried because your old card failed": the cause
    if not REGRET_WORDS.isdisjoint(ws) or "unable" in ws:
        return True
    if any(s in FAILURE_STEMS for s in clause.stems[: len(ws)]):
        return True
    return any(w == "not" and i and ws[i - 1] in _CAN for i, w in enumerate(ws))


def goes_ahead(
    text: str, accepted: Accepted, senses: Sequence[OutcomeSense], proposal_number: int
) -> Reading | None:
    """The reply to an accepted proposal as its success, when it neither refuses nor asks.

    A statement ("Enjoy the film.", "It starts at 7 pm.") answers the go-ahead;
    any negation, apology or failure word ("Sorry, the office closes at 5") does not, nor a
    reply that only asks ("How many tickets?") or proposes again ("4 tickets. Is that
    right?"). With several success outcomes proposed, the reply cannot tell which: none.
    """
    if len(accepted.successes) != 1:
        return None
    parts = clauses(text)
    if not parts or refuses_reply(parts):
        return None
    if any(asks_to_confirm(c) or _asks_for_details(c) for c in parts):
        return None
    # "I found 10 events" is information found, not the request carried out.
    told = [c for c in parts if not c.is_offer and not only_acknowledges(c) and not _informs(c)]
    if not told:
        return None
    (name,) = accepted.successes
    sense = next(s for s in senses if s.outcome.name == name)
    return Reading(
        sense.outcome,
        INFERRED_SCORE,
        told[0].shown,
        f"the request accepted at message #{proposal_number}",
        verb="answered",
    )


_DETAIL_VERBS = frozenset({"tell", "provide", "give", "enter", "choose", "select", "specify"})
_CLOSING = frozenset({"else", "anything", "help", "assist"})


def _asks_for_details(clause: Clause) -> bool:
    """Still gathering details, so not gone ahead: "For how many?", "Please tell me the
    date." A closing question ("Anything else I can help with?") asks nothing of the request.
    """
    ws = clause.words
    if clause.is_question:
        return _CLOSING.isdisjoint(ws)
    start = 1 if ws and ws[0] == "please" else 0
    return start < len(ws) and ws[start] in _DETAIL_VERBS and "me" in ws[start + 1 : start + 3]


_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\b|\b(\d{1,2}):(\d{2})\b", re.IGNORECASE)


def clock_times(text: str) -> frozenset[str]:
    """Clock times in a message, as 24-hour "HH:MM" ("6 pm" and "18:00" are one time)."""
    found = set()
    for match in _TIME.finditer(text):
        if match.group(1) is not None:
            hour, minute = int(match.group(1)) % 12, int(match.group(2) or 0)
            hour += 12 if match.group(3).lower() == "p" else 0
        else:
            hour, minute = int(match.group(4)), int(match.group(5))
        found.add(f"{hour:02d}:{minute:02d}")
    return frozenset(found)


def counter_offer(
    text: str, accepted: Accepted, senses: Sequence[OutcomeSense], proposal_number: int
) -> Reading | None:
    """The reply names only other times than the ones agreed: the request as accepted failed.

    "Please confirm: a table at 7 pm" - "Yes" - "That will be for 2 people at 8 pm." A reply
    that repeats an agreed time ("See you at 7 pm, they close at 11 pm") is not one.
    """
    if len(accepted.failures) != 1 or not accepted.times:
        return None
    named = clock_times(text)
    if not named or not named.isdisjoint(accepted.times):
        return None
    (name,) = accepted.failures
    sense = next(s for s in senses if s.outcome.name == name)
    shown = next((c.shown for c in clauses(text) if clock_times(c.shown)), text)
    return Reading(
        sense.outcome,
        INFERRED_SCORE,
        shown,
        f"another time than the one accepted at message #{proposal_number}",
    )
