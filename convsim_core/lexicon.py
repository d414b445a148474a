"""The offline judge's vocabulary: groups of words that mean one thing in support chats.

An outcome written as "The customer got a full refund" must be recognised in "I've reimbursed
you" too. These groups are ordinary English for customer-service and booking tasks, written
once for every scenario; they are deliberately not tuned to any test data. Scenario authors
extend them through their outcomes' descriptions and keywords, never by editing this file.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from convsim_core.language import stems


def _stem_all(items: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(stems(i) for i in items)


@attrs.frozen
class Group:
    """Words and phrases with one meaning; ``act`` groups are events in themselves.

    Saying "I'm transferring you to a supervisor" *is* the escalation, whereas "refund" needs
    a sign that it happened ("refunded", "has been issued").
    """

    name: str
    phrases: tuple[tuple[str, ...], ...] = attrs.field(converter=_stem_all)
    act: bool = False


GROUPS: tuple[Group, ...] = (
    Group("book", ("book", "booking", "reserve", "reservation", "schedule", "appointment",
                   "table", "seat", "ticket", "slot", "held for you", "on hold for you")),
    Group("add", ("add", "added", "top up", "topped up", "booster", "add-on")),
    Group("buy", ("buy", "purchase", "order", "checkout", "check out")),
    Group("pay", ("pay", "payment", "paid")),
    Group("transfer", ("transfer", "wire", "send money", "sent money")),
    Group("refund", ("refund", "reimburse", "reimbursement", "money back", "credit back",
                     "credited back")),
    Group("cancel", ("cancel", "cancellation", "terminate", "unsubscribe", "close the account",
                     "closed your account", "end the subscription")),
    Group("enable", ("enable", "activate", "active", "turn on", "turned on", "switch on",
                     "switched on", "set up", "setup")),
    Group("disable", ("disable", "deactivate", "turn off", "turned off", "switch off",
                      "switched off")),
    Group("remove", ("remove", "delete", "take off", "taken off", "get rid of")),
    Group("replace", ("replace", "replacement", "exchange", "swap", "new one")),
    Group("fix", ("fix", "resolve", "repair", "solve", "sort out", "sorted out", "taken care of",
                  "take care of", "correct")),
    Group("ship", ("ship", "shipment", "deliver", "delivery", "dispatch", "send", "sent")),
    Group("change", ("change", "update", "modify", "reschedule", "move")),
    Group("reset", ("reset", "unlock", "restore", "recover")),
    Group("rent", ("rent", "rental", "hire")),
    Group("subscribe", ("subscribe", "subscription", "upgrade", "downgrade", "sign up")),
    Group("waive", ("waive", "waiver", "write off", "written off", "wipe", "take off",
                    "taken off", "remove", "drop the")),
    Group("increase", ("increase", "raise", "raised", "put up", "bump up", "higher", "boost")),
    Group("decrease", ("decrease", "reduce", "lower", "bring down", "brought down", "discount",
                       "taken off", "knocked off")),
    Group("compensate", ("compensate", "compensation", "credit", "credited", "goodwill",
                         "voucher")),
    Group("request", ("request",)),
    Group("escalate", ("supervisor", "manager", "escalate", "transfer you", "transferring you",
                       "connect you", "connecting you", "hand you over", "put you through",
                       "specialist", "senior agent", "human agent"), act=True),
    Group("abandon", ("give up", "gave up", "forget it", "never mind", "nevermind",
                      "waste of time", "go elsewhere", "somewhere else", "i quit",
                      "take my business"), act=True),
    Group("complete", ("confirm", "confirmation", "success", "successful", "complete", "done",
                       "went through", "gone through", "go through", "all set", "process",
                       "finalize", "finalise", "issue", "approve", "accept")),
)  # fmt: skip
"""Each outcome is linked to the groups its description and keywords use."""

RESULT_WORDS = frozenset(
    {
        "confirmed", "successful", "successfully", "succeeded", "completed", "done",
        "processed", "issued", "placed", "made", "finalized", "finalised", "approved",
        "booked", "reserved", "scheduled",
    }
)  # fmt: skip
"""Words that say something has happened ("is confirmed", "went through", "all set")."""

INFORMATION_VERBS = frozenset(
    {
        "found",
        "searched",
        "looked",
        "checked",
        "located",
        "got",
        "saw",
        "see",
        "listed",
        "discovered",
        "identified",
        "noticed",
        "selected",
        "shortlisted",
    }
)
"""Past forms that report information found, not a request carried out ("I found 3 hotels")."""

ATTEMPT_VERBS = frozenset({"tried", "attempted"})
"""Past forms that report an attempt, not a request carried out ("I tried, but ...")."""

IRREGULAR_PAST = frozenset(
    {"made", "sent", "paid", "bought", "set", "done", "gone", "went", "got", "given", "taken",
     "put", "held", "sold", "found", "moved", "sorted", "frozen", "reset", "cut", "shut"}
)  # fmt: skip


def past_form(word: str) -> bool:
    """A past form or participle, with a repeated action's "re-" ("resent", "rebooked",
    "reissued": the verb done again is still done)."""
    if word.endswith("ed") and len(word) > 3:
        return True
    return word in IRREGULAR_PAST or (
        word.startswith("re") and len(word) > 5 and word[2:] in IRREGULAR_PAST
    )


def redone(stem_word: str) -> str | None:
    """A verb stem done again ("sent" -> "resent", "issu" -> "reissu"): sending the tickets
    again is sending them. Not the other way: "rebooked" is a change, not a booking."""
    if len(stem_word) >= 3 and not stem_word.startswith("re"):
        return f"re{stem_word}"
    return None


FAILURE_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    stems(p)
    for p in (
        "sold out", "fully booked", "booked up", "no availability", "no longer available",
        "did not go through", "went wrong", "not possible", "no luck", "too late",
    )
)  # fmt: skip
"""Phrases that report a failure without a plain negator."""

STOPWORDS = frozenset(
    stems(
        " ".join(
            (
                "a an the this that these those it its is are was were be been being has have",
                "had do does did to of for on in at by with from and or but as so than then",
                "agent customer bot user assistant they them their he she his her we our you",
                "your i me my says say said tells tell told get got gets make made makes",
                "was were will would can could should there here what which who when where",
                "some any all each every one just also very now about into over up out",
            )
        )
    )
)
"""Words an outcome description uses that carry no meaning of their own for matching."""
