"""The conversation data model: the public API that every other part of convsim speaks.

Every model is a frozen attrs class so a conversation can be shared between the runner, the UI
and the transcript writer without anyone mutating it behind the others' backs. Derive changed
copies with ``attrs.evolve``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from functools import cached_property
from typing import Any

import attrs

from convsim_core.slugs import is_slug

SCHEMA_VERSION = 1
"""Version of the JSON form of every model; bump it when a field changes meaning."""


def to_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    """A ``tuple`` converter mypy's attrs plugin understands (it cannot bind ``tuple[T]``)."""
    return values if isinstance(values, tuple) else tuple(values)


def to_frozenset(values: Iterable[Any]) -> frozenset[Any]:
    """A ``frozenset`` converter mypy's attrs plugin understands."""
    return values if isinstance(values, frozenset) else frozenset(values)


class ParticipantRole(enum.StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"

    @property
    def other(self) -> ParticipantRole:
        return ParticipantRole.CUSTOMER if self is ParticipantRole.AGENT else ParticipantRole.AGENT


def _is_str(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{attribute.name} must be a string, got {type(value).__name__}")


def _is_role(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, ParticipantRole):
        raise ValueError(
            f"{attribute.name} must be a ParticipantRole (agent or customer), got {value!r}"
        )


def _is_datetime(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{attribute.name} must be a datetime, got {type(value).__name__}")


def _is_slug(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _is_str(_inst, attribute, value)
    if not is_slug(str(value), dash=False):
        raise ValueError(
            f"outcome name {value!r} must be a lowercase slug (a-z, 0-9 and _, starting"
            " with a letter), e.g. 'resolved' or 'sale_completed'"
        )


@attrs.frozen
class MessageDraft:
    """Message content without timestamp - to be assigned during simulation."""

    content: str = attrs.field(validator=_is_str)
    sender: ParticipantRole = attrs.field(validator=_is_role)


AUTHORS = ("person", "simulation")
"""Who typed a message when a person can take a seat: a person, or the simulated participant."""


def _is_author(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and value not in AUTHORS:
        raise ValueError(f"{attribute.name} must be one of {', '.join(AUTHORS)} or None")


@attrs.frozen
class Message:
    content: str = attrs.field(validator=_is_str)
    timestamp: datetime = attrs.field(validator=_is_datetime)
    sender: ParticipantRole = attrs.field(validator=_is_role)
    author: str | None = attrs.field(default=None, validator=_is_author)
    """``person`` or ``simulation`` in runs where a person may take a seat; None elsewhere
    (and in older transcripts). Left out of the JSON form when None."""

    @classmethod
    def from_draft(cls, draft: MessageDraft, timestamp: datetime) -> Message:
        return cls(content=draft.content, timestamp=timestamp, sender=draft.sender)


@attrs.frozen
class Intent:
    """A participant's goal/purpose for the conversation."""

    role: ParticipantRole = attrs.field(validator=_is_role)
    description: str = attrs.field(validator=_is_str)


@attrs.frozen
class Outcome:
    """Conversation outcome with name and description."""

    name: str = attrs.field(validator=_is_slug)
    description: str = attrs.field(validator=_is_str)


@attrs.frozen
class Outcomes:
    """Defines legal outcome labels for a simulation run."""

    outcomes: tuple[Outcome, ...] = attrs.field(converter=to_tuple)

    def __attrs_post_init__(self) -> None:
        names = [outcome.name for outcome in self.outcomes]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"Outcome names must be unique; repeated: {', '.join(duplicates)}")

    @cached_property
    def _outcome_dict(self) -> dict[str, Outcome]:
        # Cached: judges look names up after every message.
        return {outcome.name: outcome for outcome in self.outcomes}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(outcome.name for outcome in self.outcomes)

    def get_outcome_by_name(self, name: str) -> Outcome | None:
        """Get outcome by name, or None if not found."""
        return self._outcome_dict.get(name)


@attrs.frozen
class Conversation:
    """Complete conversation with messages and optional outcome."""

    messages: tuple[Message, ...] = attrs.field(converter=to_tuple)
    outcome: Outcome | None = None

    def with_message(self, message: Message) -> Conversation:
        # Called once per message on the runner's hot path: no attrs.evolve introspection.
        return Conversation((*self.messages, message), self.outcome)

    @property
    def last_message(self) -> Message | None:
        return self.messages[-1] if self.messages else None


class TerminationReason(enum.StrEnum):
    """Why a conversation ended; recorded on every result."""

    PARTICIPANT_FINISHED = "participant_finished"
    MAX_MESSAGES = "max_messages"
    CLOSING_PHRASE = "closing_phrase"
    OUTCOME_REACHED = "outcome_reached"
    LLM_JUDGEMENT = "llm_judgement"
    GOAL_COMPLETED = "goal_completed"
    INACTIVITY_TIMEOUT = "inactivity_timeout"
    AGENT_TIMEOUT = "agent_timeout"
    MAX_WALL_TIME = "max_wall_time"
    CHANNEL_ERROR = "channel_error"
    PARTICIPANT_ERROR = "participant_error"
    STOPPED = "stopped"


@attrs.frozen
class Usage:
    """LLM usage figures; added up across participants and judges of one conversation."""

    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            llm_calls=self.llm_calls + other.llm_calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cache_hits=self.cache_hits + other.cache_hits,
        )


@attrs.frozen
class Judgement:
    """What an outcome judge sees after a message: an outcome (or none yet) and why."""

    outcome: Outcome | None
    rationale: str = ""
    message_index: int | None = None
    """Index of the message at which the outcome was reached."""


@attrs.frozen
class ConversationResult:
    """Result of simulating a single conversation."""

    conversation: Conversation
    duration_seconds: float = 0.0
    termination_reason: TerminationReason | None = None
    termination_detail: str = ""
    error: str | None = None
    usage: Usage = Usage()
    judgement: Judgement | None = None
    inferred_intent: str | None = None
    seed: int | None = None
    protocol_errors: tuple[str, ...] = ()
    """Malformed replies and other recoverable channel problems, as short excerpts."""
    outcome_overridden_by: str | None = None
    """Set when a person confirmed or replaced the judge's outcome (play mode)."""
