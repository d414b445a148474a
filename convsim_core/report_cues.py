"""Cues that a request failed or went through, in general English, for the outcome reader.

Kept apart from :mod:`convsim_core.outcome_reader` (one job each): these read a clause for
unavailability ("sold out", "not available"), options that ran out ("no other times") and an
announced arrival ("your driver will be there in 5 minutes"). None of them knows an outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

from convsim_core.language import CONDITION_WORDS, Clause
from convsim_core.lexicon import ATTEMPT_VERBS, INFORMATION_VERBS, past_form

_AVAILABLE = frozenset({"available", "availability", "open", "opening", "openings", "free"})
_USED_UP = (
    ("fully", "booked"), ("sold", "out"), ("none", "left"), ("no", "longer"),
    ("booked", "up"), ("no", "more"), ("nothing", "left"), ("is", "taken"), ("are", "taken"),
    ("already", "taken"), ("all", "taken"), ("are", "full"), ("is", "full"), ("all", "full"),
    ("all", "gone"), ("run", "out"), ("ran", "out"),
)  # fmt: skip


_ALTERNATIVE = frozenset({"other", "others", "more", "else", "another"})


def exhausted(ws: Sequence[str]) -> str | None:
    """The options asked for have run out: "no other times", "there aren't any more dates",
    "nothing else matches". A search that cannot go on is a request that could not be met."""
    for index, word in enumerate(ws):
        if word not in _ALTERNATIVE or index == 0:
            continue
        before = ws[max(0, index - 3) : index]
        if ws[index - 1] in ("no", "nothing") or ("not" in before and "any" in before):
            if word == "more" and index + 1 < len(ws) and ws[index + 1] in ("than", "about"):
                continue  # "no more than 2 people"
            return " ".join(ws[index - 1 : index + 1])
    return None


def only_one(ws: Sequence[str]) -> str | None:
    """A restriction that closes the choice: "that is the only one", "that is all I have",
    "just the one", "only one left".

    Only a run-out when said as a refusal (after "no" or an apology): "the only hotel with
    a pool is the Grand" on its own is information.
    """
    for index, word in enumerate(ws):
        if word == "only" and index and ws[index - 1] == "the":
            return "the only"
        if word in ("one", "1") and index and ws[index - 1] == "only":
            return f"only {word}"  # "only one show left"
        if word == "one" and tuple(ws[max(0, index - 2) : index]) == ("just", "the"):
            return "just the one"
        following = ws[index + 1] if index + 1 < len(ws) else ""
        if word == "all" and index and ws[index - 1] == "is" and following in ("i", "we", "there"):
            return f"is all {following}"
    return None


def unavailable(clause: Clause) -> str | None:
    """Availability negated: "not available", "no seats available", "it is sold out".

    General English for "what was asked for does not exist any more"; whether that is a
    failed request depends on the context (an apology, or a request just confirmed).
    """
    ws = clause.words
    for phrase in _USED_UP:
        if clause.find(phrase) is not None:
            return " ".join(phrase)
    for index, word in enumerate(ws):
        if word == "unavailable":
            return word
        if word == "left" and "no" in ws[max(0, index - 3) : index]:
            return "no ... left"  # "there are no cars left"
        if word in _AVAILABLE and (negator := clause.negated_at(index)) in ("not", "no"):
            return f"{negator} ... {word}"
    return None


_ARRIVE = frozenset({"arrive", "arrives", "arriving", "here", "there", "outside"})
_POSSIBLE = frozenset({"can", "could", "might", "may", "would", "if"})
_SOON = frozenset({"shortly", "momentarily", "soon", "minutes", "minute", "mins"})


def arriving(clause: Clause) -> str | None:
    """A dispatch announced by its arrival: "your driver will be there in 5 minutes", "it
    should arrive shortly". Someone is on the way, so the request went through."""
    ws = clause.words
    for index, word in enumerate(ws):
        if word not in _ARRIVE or index == 0:
            continue
        after = ws[index + 1 : index + 4]
        if not any(w in _SOON for w in after):
            continue
        if word in ("here", "there", "outside") and ws[index - 1] != "be":
            continue
        if clause.negated_at(index) or _POSSIBLE.intersection(ws[max(0, index - 4) : index]):
            return None  # "a driver could be there in 5 minutes" is only a possibility
        return " ".join(ws[index : index + 1 + len(after)])
    return None


_DONE_OPENINGS: tuple[tuple[str, ...], ...] = (
    ("done",), ("all", "done"), ("all", "set"), ("sorted",), ("all", "sorted"),
    ("there", "you", "go"), ("there", "you", "are"), ("consider", "it", "done"),
    ("that", "is", "done"), ("that", "is", "sorted"), ("it", "is", "done"),
    ("you", "are", "all", "set"), ("you", "are", "good", "to", "go"), ("you", "are", "sorted"),
    ("you", "are", "all", "sorted"), ("that", "went", "through"), ("it", "went", "through"),
    ("that", "has", "gone", "through"), ("it", "has", "gone", "through"),
    ("that", "is", "all", "done"), ("that", "is", "taken", "care", "of"),
    ("it", "is", "live"), ("it", "is", "live", "now"), ("it", "is", "active"),
    ("it", "is", "active", "now"), ("it", "is", "working", "now"), ("it", "is", "now", "live"),
    ("it", "is", "now", "active"), ("it", "is", "now", "working"),
)  # fmt: skip
_DONE_VERBS: tuple[tuple[str, ...], ...] = (
    ("sorted",), ("sorted", "out"), ("done",), ("handled",), ("processed",), ("actioned",),
    ("completed",), ("taken", "care", "of"), ("dealt", "with"),
)  # fmt: skip
_IT_HAS_BEEN = frozenset(
    (pronoun, aux, "been") for pronoun in ("it", "that", "this") for aux in ("is", "has")
)
_DONE_PARTICIPLES = frozenset(
    {"actioned", "processed", "done", "sorted", "completed", "handled", "approved", "issued",
     "sent", "fixed", "resolved", "arranged", "booked", "confirmed", "submitted", "added",
     "changed", "cancelled", "canceled", "moved", "updated", "applied", "removed", "switched",
     "extended", "renewed", "refunded", "waived", "reset", "unlocked", "activated", "enabled"}
)  # fmt: skip
_THAT_IS = frozenset((pronoun, "is") for pronoun in ("it", "that", "this"))
_REFERENCE = frozenset({"reference", "confirmation", "booking", "ticket", "order", "case"})


def _reference(clause: Clause) -> str | None:
    """A reference handed over for what was asked: "Your reference is ENG-4410", "your
    confirmation number is 55120". A person gets one once the thing is booked or logged."""
    ws = clause.words
    if clause.is_offer or ws[:1] != ("your",) or ws[1:2] == ("new",):
        return None
    for index in range(1, min(len(ws) - 1, 4)):
        named = ws[index] in ("reference", "number", "code") and ws[index + 1] == "is"
        if named and (ws[1] in _REFERENCE or ws[index] == "reference"):
            return " ".join(ws[: index + 2])
    return None


_ANAPHORA = frozenset({"that", "it", "this", "everything", "those", "them", "all"})


def completion(clause: Clause) -> str | None:
    """A report that the request at hand is done, without naming it: "Done!", "All set,
    ...", "You're good to go", "I've sorted that for you", "We have taken care of it".

    Only as the clause's opening (a phrase of its own, ended by the clause or a comma) or as
    the speaker's perfect with a pronoun for the request; never negated or a plan ("I'll
    sort that" is still to come).
    """
    ws = clause.words
    for phrase in _DONE_OPENINGS:
        size = len(phrase)
        if ws[:size] == phrase and (size == len(ws) or clause.segments[size] != 0):
            return " ".join(phrase)
    new = changed_to(clause) or can_now(clause) or done_instead(clause) or _reference(clause)
    if new is None and ws[:3] in _IT_HAS_BEEN and ws[3:4] and ws[3] in _DONE_PARTICIPLES:
        new = " ".join(ws[:4])  # "It's been actioned", "that has been sorted"
    bare = ws[:2] in _THAT_IS and len(ws) >= 3 and ws[2] in _DONE_PARTICIPLES
    if new is None and bare and (len(ws) == 3 or clause.segments[3] != 0):
        new = " ".join(ws[:3])  # "That's added.", "It's cancelled, ..."
    if new is not None:
        return new
    if ws[:1] not in (("i",), ("we",)) or clause.is_offer:
        return None
    rest = ws[1:]
    if rest[:1] != ("have",):
        return None
    rest = rest[1:]
    if rest[:1] == ("just",):
        rest = rest[1:]
    for verb in _DONE_VERBS:
        size = len(verb)
        if rest[:size] == verb and rest[size : size + 1] and rest[size] in _ANAPHORA:
            return " ".join((*ws[:2], *verb, rest[size]))
    return None


_HANDED_ON = frozenset(
    {"submitted", "forwarded", "escalated", "passed", "raised", "logged", "referred",
     "reported", "noted", "flagged", "requested", "asked", "contacted", "emailed", "messaged",
     "reviewed", "gone", "opened", "filed", "lodged", "queued", "recorded", "told", "informed",
     "explained", "sent", "started", "stored"}
)  # fmt: skip
"""Past forms of a hand-off or a step, not the request done: "I've passed this on", "I've
raised a ticket", "I've reviewed your case", "I've sent you a link" leave it pending."""


def own_action(clause: Clause) -> str | None:
    """The speaker's own completed action, in any verb: "I've cleared the fine", "We have
    released it", "I've put 29.28 against your account". Read only as the answer to the
    customer's request (:func:`convsim_core.requested.done_as_asked`): it says the speaker
    acted, not what on. Not a plan or an offer ("I'll clear it", "shall I clear it?"), not
    negated, not a hand-off or a step that leaves the request pending ("I've passed this on",
    "I've checked the allocations")."""
    ws = clause.words
    if clause.is_offer:
        return None
    start = next(
        (i for i in range(len(ws) - 1) if ws[i] in ("i", "we") and ws[i + 1] == "have"), None
    )
    if start is None or not CONDITION_WORDS.isdisjoint(ws[:start]):
        return None  # "so I've put 29.28 against your account"; not "if I have ..."
    position = start + (3 if ws[start + 2 : start + 3] == ("just",) else 2)
    if position >= len(ws) or clause.negated_at(position) or clause.hedged_at(position):
        return None
    verb = ws[position]
    if not past_form(verb) or verb == "been":
        return None
    if verb in INFORMATION_VERBS or verb in ATTEMPT_VERBS or verb in _HANDED_ON:
        return None
    return " ".join(ws[start : position + 1])


_NOW_BE = frozenset({"is", "are"})
_ATTRIBUTE = frozenset(
    {"date", "time", "day", "address", "number", "limit", "balance", "seat", "password", "pin"}
)
"""What a change sets, so "the new end date is 3 May" reports the change ("the new plan is
$30" describes a product)."""
_WILL_BE = (("will", "be"), ("has", "been"), ("have", "been"))


_ACKNOWLEDGING = frozenset(
    {"sure", "yes", "ok", "okay", "great", "perfect", "right", "thanks", "thank", "you", "done"}
)


def _acknowledged(clause: Clause) -> int:
    """Where the clause's report starts after an opening acknowledgement ("Sure, your new
    date is ...", "No problem, ..." reads as "sure")."""
    first = [w for w, n in zip(clause.words, clause.segments, strict=True) if n == 0]
    if first and len(first) < len(clause.words) and all(w in _ACKNOWLEDGING for w in first):
        return len(first)
    return 0


def changed_to(clause: Clause) -> str | None:
    """A change reported by its new state: "Your new return date is Thursday", "your new
    plan will be active tomorrow", "your new PIN has been set", after an acknowledgement too
    ("Sure, your new check-in date is the 21st"). The customer's thing is now another one, so
    the change asked for was made. Never negated or asked; not "the new plan is $30", which
    describes a product."""
    start = _acknowledged(clause)
    ws = clause.words[start:]
    the_new = ws[:2] == ("the", "new") and bool(_ATTRIBUTE.intersection(ws[2:4]))
    if clause.is_offer or not (ws[:2] == ("your", "new") or the_new):
        return None
    for index in range(3, min(len(ws), 7)):
        at = start + index
        if clause.segments[at] != clause.segments[start] or clause.negated_at(at):
            return None
        if ws[index] in _NOW_BE or tuple(ws[index : index + 2]) in _WILL_BE:
            return " ".join(ws[: index + 1])
    return None


_NOT_YET = frozenset({"if", "once", "when", "after"})
"""What the customer can do only later ("you can log in once it is reset")."""


def can_now(clause: Clause) -> str | None:
    """The customer can do now what they could not: "You should be able to log in now",
    "you can now use your card", "you can go ahead and sign in now". The request that
    stood in the way is done. Never negated, asked or pending ("you can log in once ...")."""
    ws = clause.words
    if clause.is_offer or ws[:1] != ("you",) or not _NOT_YET.isdisjoint(ws):
        return None
    if "now" not in ws or clause.negated_at(ws.index("now")) is not None:
        return None
    if ws[1:3] == ("can", "now"):
        return "you can now"
    if ws[1:5] in (("should", "be", "able", "to"), ("will", "be", "able", "to")) or ws[1:4] == (
        "are",
        "able",
        "to",
    ):
        return " ".join(ws[: ws.index("to") + 1]) + " ... now"
    return None


def done_instead(clause: Clause) -> str | None:
    """The speaker did another thing than the customer had: "I've put you on the 7:10
    instead", "we sent it to your work address instead". A change carried out, in the
    speaker's own past or perfect; not "I can put you on the 7:10 instead"."""
    ws = clause.words
    if clause.is_offer or "instead" not in ws or ws[:1] not in (("i",), ("we",)):
        return None
    verb = 2 if ws[1:2] == ("have",) else 1
    if verb >= len(ws) or not past_form(ws[verb]) or clause.negated_at(verb) is not None:
        return None
    return f"{' '.join(ws[: verb + 1])} ... instead"
