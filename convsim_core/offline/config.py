"""The rules of the offline customer and agent, and how ``[customer.offline]`` and
``[agent.offline]`` tables are read.

Every setting has a default so a minimal scenario runs; scenarios override the lines that make
their chat specific (the agent's steps and resolution, the customer's follow-up questions).
Lines accept one string or an array of variants; the participant picks one with its seeded RNG.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from convsim_core.offline import phrases
from convsim_core.scenario_reader import TableReader

Lines = tuple[str, ...]

DEFAULT_SATISFIED_WHEN: Lines = (
    "taken care of",
    "resolved",
    "all set",
    "has been processed",
    "has been issued",
    "has been cancelled",
    "has been canceled",
    "has been refunded",
    "has been fixed",
    "is now fixed",
    "is now active",
    "is now enabled",
    "is now set up",
    "is on its way",
    "is sorted",
)
"""Phrases in an agent message that tell the customer the problem is solved."""

DEFAULT_UPSELL_PHRASES: Lines = (
    "upgrade",
    "premium",
    "special offer",
    "add-on",
    "pro plan",
    "plus plan",
    "discount",
)
"""Phrases that mark an agent question as a sales offer."""


@attrs.frozen
class Answer:
    """A canned reply to a message from the other side that contains one of ``when``."""

    when: Lines
    say: Lines


@attrs.frozen
class CustomerRules:
    """How the offline customer behaves; see ``docs/scenarios.md`` for each key."""

    mood: str = "calm"
    problem: Lines = ()
    """How the customer (re)states the problem; defaults to the initial message."""
    patience: int = 3
    """Unhelpful agent replies in a row the customer puts up with; one more and they give up."""
    demands_supervisor_after: int | None = None
    """Agent replies without a resolution before the customer demands a supervisor."""
    satisfied_when: Lines = DEFAULT_SATISFIED_WHEN
    accepts_upsell: bool = False
    upsell_phrases: Lines = DEFAULT_UPSELL_PHRASES
    follow_ups: Lines = ()
    """Questions asked, in order, once the problem is solved."""
    aliases: Mapping[str, Lines] = attrs.field(factory=dict)
    """Extra ways the agent may ask for a fact, per fact key."""
    give_up: Lines = ()
    wrap_up: Lines = ()
    accept_offer: Lines = ()
    decline_offer: Lines = ()
    replies: tuple[Answer, ...] = ()
    """Scenario-specific replies to agent messages containing a phrase (instructions, etc.)."""
    thanks: Lines = ()
    confirm: Lines = ()
    bye: Lines = ()
    """Real customers' words for these moments (see :mod:`convsim_core.chats.grounding`);
    empty: the built-in phrase banks."""


@attrs.frozen
class AgentStep:
    """One thing the agent does before resolving: say something, usually asking for a fact."""

    say: Lines = ()
    ask: str | None = None


@attrs.frozen
class Upsell:
    """An offer made once the problem is resolved, and the replies to yes and no."""

    offer: Lines = phrases.UPSELL_OFFER
    accepted: Lines = phrases.UPSELL_ACCEPTED
    declined: Lines = phrases.UPSELL_DECLINED


@attrs.frozen
class AgentRules:
    """How the offline agent works through a case; see ``docs/scenarios.md`` for each key."""

    greeting: Lines = phrases.GREETING
    steps: tuple[AgentStep, ...] = ()
    stall_turns: int = 0
    """Replies spent "checking" after the steps, before the resolution."""
    stall: Lines = phrases.STALL
    resolution: Lines = phrases.RESOLUTION
    anything_else: Lines = phrases.ANYTHING_ELSE
    farewell: Lines = phrases.FAREWELL
    escalate_after: int = 1
    """Supervisor demands before the agent escalates (0: never; it keeps trying itself)."""
    escalation: Lines = phrases.ESCALATION
    de_escalate: Lines = phrases.DE_ESCALATE
    answers: tuple[Answer, ...] = ()
    upsell: Upsell | None = None


def _lines(
    reader: TableReader, name: str, default: Lines, allowed: set[str], *, may_be_empty: bool = False
) -> Lines:
    lines = reader.strings(name, default)
    if reader.has(name) and not lines and not may_be_empty:
        raise reader.error(name, "expected at least one line")
    check_placeholders(reader, name, lines, allowed)
    return lines


def check_placeholders(
    reader: TableReader, name: str, lines: Iterable[str], allowed: set[str]
) -> None:
    """Reject ``{typo}`` placeholders at load time instead of printing them mid-chat."""
    for line in lines:
        unknown = sorted(phrases.placeholders(line) - allowed)
        if unknown:
            known = ", ".join(sorted(allowed)) or "none"
            raise reader.error(
                name, f"unknown placeholder {{{unknown[0]}}} (known: {known}) in {line!r}"
            )


def _answers(reader: TableReader, name: str, allowed: set[str]) -> tuple[Answer, ...]:
    answers: list[Answer] = []
    for answer in reader.tables(name):
        when = answer.strings("when")
        if not when or not all(w.strip() for w in when):
            raise answer.error("when", "expected at least one non-empty phrase")
        say = _lines(answer, "say", (), allowed)
        if not say:
            raise answer.error("say", "missing required key")
        answer.finish()
        answers.append(Answer(when=when, say=say))
    return tuple(answers)


def read_customer_rules(reader: TableReader | None, facts: Mapping[str, str]) -> CustomerRules:
    if reader is None:
        return CustomerRules()
    allowed = set(facts) | {"problem"}
    aliases_table = reader.table("aliases")
    aliases: dict[str, Lines] = {}
    if aliases_table is not None:
        for key in aliases_table.data:
            if key not in facts:
                raise aliases_table.error(key, "no fact with this name in customer.facts")
            aliases[key] = aliases_table.strings(key)
        aliases_table.finish()
    rules = CustomerRules(
        mood=reader.string("mood", "calm", choices=phrases.MOODS),
        problem=_lines(reader, "problem", (), allowed - {"problem"}),
        patience=reader.integer("patience", 3, minimum=0),
        demands_supervisor_after=reader.optional_integer("demands_supervisor_after", minimum=0),
        satisfied_when=reader.strings("satisfied_when", DEFAULT_SATISFIED_WHEN),
        accepts_upsell=reader.boolean("accepts_upsell", False),
        upsell_phrases=reader.strings("upsell_phrases", DEFAULT_UPSELL_PHRASES),
        follow_ups=_lines(reader, "follow_ups", (), allowed),
        aliases=aliases,
        give_up=_lines(reader, "give_up", (), allowed),
        wrap_up=_lines(reader, "wrap_up", (), allowed),
        accept_offer=_lines(reader, "accept_offer", (), allowed),
        decline_offer=_lines(reader, "decline_offer", (), allowed),
        replies=_answers(reader, "replies", allowed),
    )
    reader.finish()
    return rules


def read_agent_rules(
    reader: TableReader | None, facts: Mapping[str, str], customer_facts: Mapping[str, str]
) -> AgentRules:
    if reader is None:
        return AgentRules()
    steps: list[AgentStep] = []
    step_readers = reader.tables("steps")
    asked: set[str] = set()
    for step in step_readers:
        ask = step.optional_string("ask")
        if ask is not None and ask not in customer_facts:
            known = ", ".join(sorted(customer_facts)) or "none"
            raise step.error("ask", f"{ask!r} is not in customer.facts (known: {known})")
        # A step may use what earlier steps asked for, not what it is asking for itself.
        say = _lines(step, "say", (), set(facts) | asked)
        if not say and ask is None:
            raise step.error("say", "a step needs 'say', 'ask' or both")
        step.finish()
        steps.append(AgentStep(say=say, ask=ask))
        if ask is not None:
            asked.add(ask)
    allowed = set(facts) | asked
    answers = _answers(reader, "answers", allowed)
    upsell_reader = reader.table("upsell")
    upsell = None
    if upsell_reader is not None:
        upsell = Upsell(
            offer=_lines(upsell_reader, "offer", phrases.UPSELL_OFFER, allowed),
            accepted=_lines(upsell_reader, "accepted", phrases.UPSELL_ACCEPTED, allowed),
            declined=_lines(upsell_reader, "declined", phrases.UPSELL_DECLINED, allowed),
        )
        upsell_reader.finish()
    rules = AgentRules(
        greeting=_lines(reader, "greeting", phrases.GREETING, set(facts), may_be_empty=True),
        steps=tuple(steps),
        stall_turns=reader.integer("stall_turns", 0, minimum=0),
        stall=_lines(reader, "stall", phrases.STALL, allowed),
        resolution=_lines(reader, "resolution", phrases.RESOLUTION, allowed),
        anything_else=_lines(reader, "anything_else", phrases.ANYTHING_ELSE, allowed),
        farewell=_lines(reader, "farewell", phrases.FAREWELL, allowed),
        escalate_after=reader.integer("escalate_after", 1, minimum=0),
        escalation=_lines(reader, "escalation", phrases.ESCALATION, allowed),
        de_escalate=_lines(reader, "de_escalate", phrases.DE_ESCALATE, allowed),
        answers=tuple(answers),
        upsell=upsell,
    )
    reader.finish()
    return rules
