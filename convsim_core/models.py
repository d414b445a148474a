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


_new = object.__new__


def _writable(cls: type[Any]) -> type[Any]:
    """A subclass of frozen ``cls`` with nothing of its own but ordinary attribute assignment.

    The hot paths build a model of fields known to be valid by filling a new instance of this
    twin and then assigning ``__class__ = cls``: the layouts are the same (no slot of its
    own), so Python allows the switch, and the result is an ordinary instance of ``cls``.
    Slot stores on a class with the default ``__setattr__`` are a tenth the cost of the
    ``object.__setattr__`` calls a frozen class needs (a 7-field Message: 3k instructions
    instead of 9.5k). Both ``__setattr__`` and ``__delattr__`` are the default ones, or
    Python keeps the slower generic attribute hook for both.
    """
    namespace = {
        "__slots__": (),
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
        "__doc__": f"{cls.__name__} being filled in (see models._writable).",
    }
    return type(f"_Writable{cls.__name__}", (cls,), namespace)


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
        # The module's own names for the members: ``ParticipantRole.AGENT`` goes through the
        # enum's metaclass on every lookup, which made this 2.8k instructions (runners ask it
        # after every message).
        return _CUSTOMER if self is _AGENT else _AGENT


_AGENT, _CUSTOMER = ParticipantRole.AGENT, ParticipantRole.CUSTOMER


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


def _is_count(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # bool is an int to Python, never a count to a reader of the JSON.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{attribute.name} must be a whole number >= 0, got {value!r}")


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
class Attachment:
    """Something a bot sent besides text: an image, a card, a file; shown as ``[image] URL``."""

    kind: str = attrs.field(validator=_is_str)
    """``image``, ``card``, ``file``, ``video``, ``audio`` or ``custom``."""
    url: str | None = None
    title: str | None = None
    content_type: str | None = None

    def describe(self) -> str:
        detail = " ".join(part for part in (self.title, self.url) if part)
        return f"[{self.kind}] {detail}".rstrip()


@attrs.frozen
class QuickReply:
    """A button or quick reply the bot offered; ``payload`` is what pressing it sends."""

    title: str = attrs.field(validator=_is_str)
    payload: str | None = None
    """Sent instead of the title when pressed (a Rasa intent, a Botkit payload); None: the title."""
    action: str = "postBack"
    """The platform's button type (Bot Framework ``imBack``/``messageBack``/``postBack``...)."""

    @property
    def value(self) -> str:
        return self.title if self.payload is None else self.payload


@attrs.frozen
class Message:
    content: str = attrs.field(validator=_is_str)
    timestamp: datetime = attrs.field(validator=_is_datetime)
    sender: ParticipantRole = attrs.field(validator=_is_role)
    author: str | None = attrs.field(default=None, validator=_is_author)
    """``person`` or ``simulation`` in runs where a person may take a seat; None elsewhere
    (and in older transcripts). Left out of the JSON form when None."""
    attachments: tuple[Attachment, ...] = attrs.field(default=(), converter=to_tuple)
    """Images, cards and files that came with the text (agent messages from real bots)."""
    quick_replies: tuple[QuickReply, ...] = attrs.field(default=(), converter=to_tuple)
    """Buttons the agent offered with this message."""
    choice: QuickReply | None = None
    """Set on a customer message that pressed one of the agent's buttons."""

    @classmethod
    def from_draft(cls, draft: MessageDraft, timestamp: datetime) -> Message:
        return cls(content=draft.content, timestamp=timestamp, sender=draft.sender)

    def restamped(self, timestamp: datetime) -> Message:
        """The same message at ``timestamp``, without validating the fields again.

        Runners re-stamp every reply with simulated time; this message's fields were checked
        when it was made, so only the (runner-owned) timestamp is new.
        """
        # Written out field by field (a loop over the fields costs twice as much, and this
        # runs for every message); tests/test_models.py checks that it copies every field.
        copy: Any = _new(_WritableMessage)
        copy.content = self.content
        copy.timestamp = timestamp
        copy.sender = self.sender
        copy.author = self.author
        copy.attachments = self.attachments
        copy.quick_replies = self.quick_replies
        copy.choice = self.choice
        copy.__class__ = Message
        restamped: Message = copy
        return restamped

    @property
    def rich(self) -> bool:
        """Whether the message carries more than text (kept out of the JSON form otherwise)."""
        return bool(self.attachments or self.quick_replies or self.choice is not None)

    def display_text(self) -> str:
        """The text plus one line per attachment and the buttons, as people and LLMs read it."""
        if not self.rich:
            return self.content
        lines = [self.content] if self.content else []
        lines.extend(attachment.describe() for attachment in self.attachments)
        if self.quick_replies:
            lines.append("[buttons: " + " | ".join(q.title for q in self.quick_replies) + "]")
        if self.choice is not None and not self.content:
            lines.append(f"[pressed: {self.choice.title}]")
        return "\n".join(lines)


_WritableMessage = _writable(Message)
_MESSAGE_FIELDS = attrs.fields(Message)


def text_message(content: str, timestamp: datetime, sender: ParticipantRole) -> Message:
    """``Message(content, timestamp, sender)``, checked the same way, at a third of the cost.

    Participants make one message per turn; the checks are written out (the validators run
    only to raise their own error) and the fields filled without attrs' ``__init__``.
    """
    if not isinstance(content, str):
        _is_str(None, _MESSAGE_FIELDS.content, content)
    if not isinstance(timestamp, datetime):
        _is_datetime(None, _MESSAGE_FIELDS.timestamp, timestamp)
    if not isinstance(sender, ParticipantRole):
        _is_role(None, _MESSAGE_FIELDS.sender, sender)
    new: Any = _new(_WritableMessage)
    new.content = content
    new.timestamp = timestamp
    new.sender = sender
    new.author = None
    new.attachments = ()
    new.quick_replies = ()
    new.choice = None
    new.__class__ = Message
    message: Message = new
    return message


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
        # Called once per message on the runner's hot path: the fields are known good (a
        # tuple of messages, an outcome), so no converter or attrs.evolve introspection.
        copy: Any = _new(_WritableConversation)
        copy.messages = (*self.messages, message)
        copy.outcome = self.outcome
        copy.__class__ = Conversation
        grown: Conversation = copy
        return grown

    @property
    def last_message(self) -> Message | None:
        return self.messages[-1] if self.messages else None


_WritableConversation = _writable(Conversation)


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
    UNREADABLE_REPLIES = "unreadable_replies"
    """The bot answered, but convsim could read none of its replies (see protocol_errors)."""
    PARTICIPANT_ERROR = "participant_error"
    STOPPED = "stopped"


@attrs.frozen
class Usage:
    """LLM usage figures; added up across participants and judges of one conversation."""

    llm_calls: int = attrs.field(default=0, validator=_is_count)
    prompt_tokens: int = attrs.field(default=0, validator=_is_count)
    completion_tokens: int = attrs.field(default=0, validator=_is_count)
    cache_hits: int = attrs.field(default=0, validator=_is_count)

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
class NearMiss:
    """The closest a chat came to an outcome that did not count, and why (for "no outcome")."""

    outcome: str
    message_index: int
    text: str
    """The clause of the message that came close."""
    reason: str
    """Why it did not count: "negated", "a question or an offer", ..."""
    score: float | None = None


@attrs.frozen
class Judgement:
    """What an outcome judge sees after a message: an outcome (or none yet) and why."""

    outcome: Outcome | None
    rationale: str = ""
    message_index: int | None = None
    """Index of the message at which the outcome was reached."""
    evidence: str = ""
    """The phrase or words that decided it."""
    score: float | None = None
    """The judge's confidence in it, where the judge has one (0..1)."""
    nearest_miss: NearMiss | None = None
    """With no outcome (or before it): the closest candidate that did not count."""
    failures: int = 0
    """Judge answers that could not be used (invalid labels, errors); the previous stands."""


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
