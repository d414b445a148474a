"""Outcomes that change the state of something, in the many verbs English has for it.

An outcome written as "The seat was changed" is reported as "I've moved you to 14C", "I've
switched you to an aisle seat" or "You're now in 14C"; "The plan was switched" as "I've
updated your plan". The description names one verb of a family (change, move, switch,
update, transfer...) and a bot uses another, or reports the new state instead of the verb.
A cancellation is reported by its consequence as often as by its name: "your plan won't
renew", "you will no longer be billed".

General English, written once for every scenario (never tuned to test dialogues): which
verbs change a thing's state, which verbs' negation is a cancellation or a switching off,
and what a report of a new state looks like. The outcome reader decides when they apply
(the message must speak of the outcome's own thing).
"""

from __future__ import annotations

from collections.abc import Sequence

from convsim_core.language import Clause, stems
from convsim_core.lexicon import Group

CHANGE_OF_STATE = Group(
    "change of state",
    (
        "change", "update", "modify", "amend", "adjust", "alter", "switch", "swap", "move",
        "transfer", "convert", "correct", "reschedule", "rebook", "redirect",
    ),
)  # fmt: skip
"""Verbs that change what the customer has: one reports the others' outcome ("I've updated
your plan" for "the plan was switched")."""
_CHANGE_STEMS = frozenset(p[0] for p in CHANGE_OF_STATE.phrases)

OPPOSITES: dict[str, frozenset[str]] = {
    "cancel": frozenset(stems("renew bill charge continue active auto-renew payment")),
    "disable": frozenset(stems("active work charge bill")),
    "subscribe": frozenset(),
}
"""Per vocabulary group: verbs whose negation reports it. "Your plan won't renew", "you will
no longer be charged" say a subscription was cancelled."""

_NEW_STATE = frozenset(
    {"in", "on", "at", "with", "under", "booked", "set", "listed", "registered", "down",
     "going", "due", "scheduled", "showing", "moved", "changed", "switched"}
)  # fmt: skip
"""What follows "now" in a report of a new state: a place or a setting ("is now at our Main
Street branch", "you're now on the Basic plan"); not "now ready" or "now closed"."""
_NOW_SUBJECTS = frozenset({"you", "it", "they", "that", "this"})
_CUSTOMERS = frozenset({"you", "your", "it", "this", "that"})
_NOT_NOW = frozenset({"if", "unless", "once", "when"})
"""A new state still to come ("you'll be on the Basic plan once it renews")."""
_NOT_YET = frozenset({"if", "unless", "until", "once"})
"""A consequence still conditional ("it will renew unless you cancel")."""


def changes_state(description_stems: Sequence[str]) -> bool:
    """Whether an outcome's description names a change of state ("was moved", "got
    switched", "extended"): then every verb of the family reports it."""
    return not _CHANGE_STEMS.isdisjoint(description_stems)


def change_verb(clause: Clause) -> int | None:
    """Position of a state-changing verb in the clause ("updated", "moved", "switching")."""
    return next((i for i, s in enumerate(clause.stems) if s in _CHANGE_STEMS), None)


def now_state(clause: Clause, things: frozenset[str]) -> str | None:
    """A new state reported with "now": "Your prescription is now at our Main Street
    branch", "You're now in 14C", "it is now on the Basic plan". The subject is the customer
    or their thing (a word of ``things``: stems of the outcome's description); never asked,
    negated or conditional."""
    ws = clause.words
    if clause.is_offer or not _NOT_NOW.isdisjoint(ws):
        return None
    for index in range(1, len(ws) - 1):
        if ws[index] != "now" or ws[index - 1] not in ("is", "are", "will"):
            continue
        if clause.negated_at(index) is not None:
            continue
        if ws[index - 1] != "will" and ws[index + 1] not in _NEW_STATE:
            continue  # "it will now arrive on Saturday" changed; "it is now ready" did not
        subject = ws[max(0, index - 4) : index - 1]
        named = clause.stems[max(0, index - 4) : index - 1]
        if (subject[-1:] and subject[-1] in _NOW_SUBJECTS) or not things.isdisjoint(named):
            return " ".join(ws[index - 1 : index + 2])
    return None


def negated_opposite(clause: Clause, groups: Sequence[Group], things: frozenset[str]) -> str | None:
    """A cancellation said by its consequence: "your plan won't renew", "you will no longer
    be charged", "it will not bill you again". The clause must be about the customer or
    their thing ("We no longer charge for paper bills" is a policy); never asked or
    conditional ("it will renew unless you cancel")."""
    opposites = frozenset().union(*(OPPOSITES.get(g.name, frozenset()) for g in groups))
    if not opposites or clause.is_offer:
        return None
    ws = clause.words
    if not _NOT_YET.isdisjoint(ws):
        return None
    if _CUSTOMERS.isdisjoint(ws) and things.isdisjoint(clause.stems):
        return None
    for index, found in enumerate(clause.stems):
        if found not in opposites:
            continue
        negator = clause.negator_of(index)
        if (
            negator is not None
            and ws[negator] in ("not", "no", "never")
            and negator < index
            and clause.hedged_at(index, allow_future=True) is None
        ):
            return " ".join(ws[negator : index + 1])
    return None
