"""Turn-taking without a proposal: the customer asks for something, the agent's reply answers.

:mod:`convsim_core.accepted` reads the three-turn form (the agent proposes, the customer says
yes). Just as often the customer asks outright ("Can you move my delivery to Saturday?",
"Elm Street, please") and the agent's next messages answer that request. Two general-English
answers tell its outcome without naming it:

- a bare report that it was done ("Done!", "All set.", "I've sorted that for you") is the
  request carried out;
- a refusal in general English ("There's nothing more I can do, sorry", "I'm afraid that is
  fully booked") is the request failing, for the failure outcome about it.

Which outcome the request is about comes from the chat: an outcome whose vocabulary the
customer has used. This module finds the request; it knows the outcomes only through their
vocabulary.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from convsim_core.accepted import INFERRED_SCORE, Accepted, customer_spoke_of, refuses_reply
from convsim_core.language import clauses, normalise
from convsim_core.models import Message, ParticipantRole
from convsim_core.outcome_sense import OutcomeSense, Reading, related_failure
from convsim_core.report_cues import completion, own_action

NOTHING_ASKED = Accepted(-1)
_AGENT_REPLIES = 3
"""How many agent messages in a row may still answer the customer's last message ("Let me
check..." - "Thanks for waiting." - "Done, it's on its way.")."""


def asked_request(messages: Sequence[Message], senses: Sequence[OutcomeSense]) -> Accepted:
    """The request the newest (agent) message answers: the customer's last message, when it
    asks for something, as the outcomes whose vocabulary the customer has used."""
    agent = ParticipantRole.AGENT
    if not messages or messages[-1].sender is not agent:
        return NOTHING_ASKED
    index = len(messages) - 1
    while index >= 0 and messages[index].sender is agent:
        index -= 1
    if index < 0 or len(messages) - 1 - index > _AGENT_REPLIES:
        return NOTHING_ASKED
    text = messages[index].content
    asks = asks_for_something(text) or _presses(messages, index)
    status = not asks and asks_after(text)
    opening = False
    if not asks and not status and not (index == 0 and states_a_problem(text)):
        # "Margaret Oyelaran.", "yes, that's my wallet": the customer answers the agent's
        # question; the reply still answers the chat's request, the customer's opening. A
        # refusal answers it only when the opening asked for something ("Is parking
        # included?" asks what is so: "spaces can't be reserved" refuses nothing).
        if messages[0].sender is agent:
            return NOTHING_ASKED
        index, opening = 0, True
    failures: set[str] = set()
    successes: set[str] = set()
    for sense in senses:
        if sense.said_by is not None and sense.said_by is not agent:
            continue
        if customer_spoke_of(sense, messages[: index + 1]):
            (failures if sense.failure else successes).add(sense.outcome.name)
    mine = [s for s in senses if s.said_by is None or s.said_by is agent]
    if status:
        # "Where's my refund?" asks how it stands: "It's been actioned" answers it; a
        # refusal is not read from a status answer.
        return Accepted(index, frozenset(), frozenset(successes)) if successes else NOTHING_ASKED
    failures |= counterparts(successes, mine)
    if not failures and not successes:
        successes, failures = _the_pair(mine)
    if opening and asks_what_is(messages[0].content):
        failures = set()
    return Accepted(index, frozenset(failures), frozenset(successes))


_WHAT_IS = frozenset({"is", "are", "do", "does", "how", "what", "which"})


@functools.lru_cache(maxsize=4096)
def asks_what_is(text: str) -> bool:
    """An opening that only asks how things are ("Is parking included?", "Do you charge
    fees abroad?"): a question about information, so no request of it can be refused. A
    complaint ("why was I charged? I parked properly") or a request asks for something."""
    parts = [p for p in clauses(text) if p.words]
    if not parts or any(_POSSIBLE.intersection(p.words) for p in parts):
        return False  # "Is it possible to move my flight?" asks for the move
    return all(p.is_question and p.words[0] in _WHAT_IS for p in parts)


_POSSIBLE = frozenset({"possible", "able", "allowed", "way", "chance", "option"})


def _the_pair(senses: Sequence[OutcomeSense]) -> tuple[set[str], set[str]]:
    """A scenario of one success and one failure is about one request: the customer's
    request is that one, even in words the outcomes do not use ("Could I keep my books
    another week?" for "the loan was extended")."""
    successes = [s.outcome.name for s in senses if not s.failure]
    failures = [s.outcome.name for s in senses if s.failure]
    if len(successes) == 1 and len(failures) == 1:
        return set(successes), set(failures)
    return set(), set()


def counterparts(successes: set[str], senses: Sequence[OutcomeSense]) -> set[str]:
    """The failure outcomes about what the customer asked for: asking for the film to be
    unlocked is asking for what "the film could not be made available" reports failing. A
    failure counts when it is the only one, or shares the success's vocabulary."""
    failures = [s for s in senses if s.failure]
    found: set[str] = set()
    for success in (s for s in senses if s.outcome.name in successes):
        chosen = related_failure(success, failures) or (failures[0] if len(failures) == 1 else None)
        if chosen is not None:
            found.add(chosen.outcome.name)
    return found


def _presses(messages: Sequence[Message], index: int) -> bool:
    """The customer's last message presses a request made just before ("Can you waive the
    fee?" - "Sorry, it applies to everyone." - "Not even for an old member?"): a question
    right after the customer's own request and the agent's answer to it."""
    if "?" not in messages[index].content:
        return False
    earlier = [m for m in messages[:index] if m.sender is ParticipantRole.CUSTOMER][-1:]
    return bool(earlier) and asks_for_something(earlier[0].content)


_ASKING = re.compile(
    r"\bplease\b|\b(?:can|could|would|will) (?:you|i|it|we)\b|\bi would like\b"
    r"|\bi (?:want|need|wish to)\b|\bhelp me\b|\bdo you have\b|\b(?:is|are) there any\b"
    r"|\bany chance\b"
)
_SENTENCE = re.compile(r"[.!?;\n]+")
_CONDITION = re.compile(r"\bif\b")


@functools.lru_cache(maxsize=4096)
def asks_for_something(text: str) -> bool:
    """ "Can you move it to Friday?", "Elm Street, please", "I need a new card": the customer
    asks for something to be done. A condition ("if I switch, would you ...?") asks what would
    happen, not for it to happen."""
    for sentence in _SENTENCE.split(normalise(text)):
        if _ASKING.search(sentence) and not _CONDITION.search(sentence):
            return True
    return False


def done_as_asked(
    text: str, asked: Accepted, senses: Sequence[OutcomeSense], request_number: int
) -> Reading | None:
    """The reply reports the request done in so many words ("Done!", "I've sorted that for
    you") and refuses nothing: the one success outcome the customer asked about."""
    if len(asked.successes) != 1:
        return None
    parts = clauses(text)
    if refuses_reply(parts):
        return None
    for clause in parts:
        said = completion(clause) or own_action(clause)
        if said is not None:
            (name,) = asked.successes
            sense = next(s for s in senses if s.outcome.name == name)
            return Reading(
                sense.outcome,
                INFERRED_SCORE,
                clause.shown,
                f'"{said}" after the request at message #{request_number}',
                verb="answered",
            )
    return None


_PROBLEM = re.compile(
    r"\b(?:can not|could not|does not|did not|is not|are not|has not|have not|will not)"
    r" (?:log|sign|get|access|use|work|arrive|load|open|connect|pay|find|see|receive|come)"
    r"|\blocked out\b|\bnot working\b|\bstopped working\b|\bnever arrived\b"
    r"|\b(?:broken|damaged|cracked|missing|wrong|stolen|lost)\b|\bcharged twice\b"
)


@functools.lru_cache(maxsize=4096)
def states_a_problem(text: str) -> bool:
    """A chat that opens on a problem asks for it to be fixed: "I'm locked out of my
    account", "My parcel never arrived", "I lost my card". Only the opening message: later,
    a customer's "it's not working" reports on what the agent tried."""
    return bool(_PROBLEM.search(normalise(text)))


_STATUS = re.compile(
    r"\b(?:where|when)(?: is| are)? (?:my|the|our)\b|\bany (?:news|update|updates)\b"
    r"|\bwhat is happening with\b|\bhas (?:my|the) \w+ (?:been|gone)\b"
)


@functools.lru_cache(maxsize=4096)
def asks_after(text: str) -> bool:
    """ "Where's my refund?", "Any news on my claim?": the customer asks how their request
    stands, so "It's been actioned" answers it."""
    return "?" in text and bool(_STATUS.search(normalise(text)))
