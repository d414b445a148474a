"""What a clause does, whatever the outcome: reports an action, refuses, breaks bad news.

The outcome reader asks these of a clause once it has found an outcome's thing in it; none of
them knows which outcome that is, so each rule is general English tested on its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from convsim_core.frames import UNDER_WAY, still_stands
from convsim_core.language import (
    CONDITION_WORDS,
    NEGATORS,
    NEW_PREDICATE,
    REGRET_WORDS,
    Clause,
    addressed_to_customer,
    refusing_word,
)
from convsim_core.lexicon import (
    ATTEMPT_VERBS,
    FAILURE_PHRASES,
    INFORMATION_VERBS,
    RESULT_WORDS,
    past_form,
)
from convsim_core.report_cues import arriving, exhausted, only_one, unavailable

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


ASKING = frozenset({"can", "could", "would", "shall", "should", "do", "does", "did", "will"})


_WENT = frozenset({"went", "gone", "got", "gotten", "come", "came"})


_AFTER_OPENING_VERB = frozenset(
    {"the", "a", "an", "your", "it", "to", "for", "on", "in", "up", "that", "this", "you"}
) | frozenset({"playing", "booking", "sending", "processing"})


_BE = frozenset({"is", "are", "was", "were", "now", "been"})
_BE_OR_ALL = _BE | {"all"}
"""Before "complete" or "set", a result reached: "is complete", "you're all set"."""


def reports_action(clause: Clause) -> str | None:
    """A report that a request has been carried out, for outcomes about a request in general.

    First-person past ("I've started it", "I added it"), a clause opening with a past verb
    ("Added to your list"), a perfect ("the song has begun", "it has been added"), an action
    under way now ("playing now", "it is starting now") or a dispatch ("it is on its way").
    Information found ("I found 3 hotels") is not an action carried out.
    """
    ws = clause.words
    if clause.is_offer or not ws:
        return None
    for phrase in UNDER_WAY:
        if (start := clause.find(phrase)) is not None and not clause.negated_at(start):
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


_SEARCHING = frozenset(
    {"find", "found", "search", "searched", "look", "looked", "see", "match", "matching"}
)


def reports_refusal(
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
    if not ws or ws[0] in ASKING or ws[0] in CONDITION_WORDS:
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


def bad_news_about(clause: Clause, topic: Sequence[int], apologised: str | None) -> str | None:
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


_QUESTION_START = ASKING | frozenset({"is", "are", "what", "which", "how", "any", "anything"})


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


def failure_phrase(grams: set[tuple[str, ...]]) -> str | None:
    """A failure said without a negator ("sold out", "fully booked") among a clause's stem
    n-grams (the reader's, built once per clause rather than once per outcome)."""
    for phrase in FAILURE_PHRASES:
        if phrase in grams:
            return " ".join(phrase)
    return None


_STATE = frozenset({"is", "are"})


def _after(index: int, anchors: Sequence[int], distance: int = 3) -> bool:
    return any(0 < index - a <= distance for a in anchors)


def not_happened(clause: Clause, anchors: Sequence[int], ignore: Sequence[int] = ()) -> str:
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
        if word in ("complete", "set") and index and clause.words[index - 1] in _BE_OR_ALL:
            happened = True  # "is complete", "you're all set", "the alarm is set"
        if happened:
            hedge = clause.hedged_at(index)
            if hedge is None:
                return ""
            return f'not done yet ("{hedge}")'
    return "does not say it happened"
