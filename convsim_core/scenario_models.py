"""The scenario data model (see :mod:`convsim_core.scenario` for the file format)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from convsim_core.chats.spec import RagSpec
from convsim_core.expectations import Expectations
from convsim_core.llm.settings import LLMSettings
from convsim_core.models import Intent, MessageDraft, Outcomes, ParticipantRole
from convsim_core.offline.config import AgentRules, CustomerRules
from convsim_core.termination import DEFAULT_CLOSING_PHRASES

PARTICIPANT_KINDS = ("offline", "llm", "scripted")
JUDGE_KINDS = ("offline", "keyword", "llm", "none")
CLOSING_SIDES = ("either", "agent", "customer")


@attrs.frozen
class ParticipantSpec:
    """How one side of the chat is played."""

    role: ParticipantRole
    kind: str = "offline"
    persona: str = ""
    facts: Mapping[str, str] = attrs.field(factory=dict)
    turns: tuple[str, ...] = ()
    instructions: str = ""
    offline: CustomerRules | AgentRules | None = None
    """The rule-based settings; None means the defaults for this role."""
    rag: RagSpec | None = None
    """Real chats the customer draws on (``rag = { library = ..., k = ... }``)."""

    @property
    def customer_rules(self) -> CustomerRules:
        return self.offline if isinstance(self.offline, CustomerRules) else CustomerRules()

    @property
    def agent_rules(self) -> AgentRules:
        return self.offline if isinstance(self.offline, AgentRules) else AgentRules()


@attrs.frozen
class OutcomeKeywords:
    """The keyword judge's phrases for one outcome."""

    outcome: str
    phrases: tuple[str, ...]
    said_by: ParticipantRole | None = None


@attrs.frozen
class JudgeSpec:
    kind: str = "offline"
    keywords: tuple[OutcomeKeywords, ...] = ()
    """Per outcome: its keywords (may be empty) and which side's words count."""
    every_n_messages: int = 1
    min_messages: int = 1
    """LLM judge: messages in the chat before it may decide."""
    llm: LLMSettings | None = None
    """``[judge.llm]`` as written (merged over ``[llm]`` by the builder); None: use ``[llm]``."""
    llm_table: Mapping[str, Any] | None = None


@attrs.frozen
class TerminationSpec:
    """When a chat is over, beyond ``max_messages`` and a participant saying it is finished."""

    closing_phrases: tuple[str, ...] = DEFAULT_CLOSING_PHRASES
    closing_by: str = "either"
    """Whose farewell ends the chat: "either" side (default), only the "agent" or the "customer"."""
    terminal_outcomes: tuple[str, ...] = ()
    """Outcomes that end the chat as soon as the judge reports them; empty: none do."""
    llm_completion: bool = False
    goal_completion: bool = False
    goal_phrases: tuple[str, ...] = ()
    inactivity_timeout: float = 30.0
    response_timeout: float = 30.0
    settle_seconds: float = 1.0
    max_wall_time: float = 600.0
    typing_delay: bool = True


@attrs.frozen
class Scenario:
    name: str
    title: str
    initial_message: MessageDraft
    outcomes: Outcomes
    customer: ParticipantSpec = ParticipantSpec(ParticipantRole.CUSTOMER)
    agent: ParticipantSpec = ParticipantSpec(ParticipantRole.AGENT)
    description: str = ""
    path: Path | None = None
    intents: tuple[Intent, ...] = ()
    max_messages: int = 30
    seed: int = 0
    judge: JudgeSpec = JudgeSpec()
    termination: TerminationSpec = TerminationSpec()
    llm: LLMSettings = attrs.field(factory=LLMSettings)
    bot: Mapping[str, Any] | None = None
    """The raw ``[bot]`` table, parsed by the channels package's bot-profile reader."""
    expect: Expectations | None = None
    """The ``[expect]`` table: what a passing conversation is (``convsim test``)."""
    weight: float = 1.0
    """The share of real chats with this scenario's intent (``convsim scenarios from-chats``);
    reports weight pass rates by it."""

    @property
    def intent(self) -> Intent | None:
        """The first customer intent: what the runner and judges measure the chat against."""
        return next((i for i in self.intents if i.role is ParticipantRole.CUSTOMER), None)

    def side(self, role: ParticipantRole) -> ParticipantSpec:
        return self.customer if role is ParticipantRole.CUSTOMER else self.agent

    def intents_of(self, role: ParticipantRole) -> tuple[Intent, ...]:
        return tuple(i for i in self.intents if i.role is role)

    @property
    def source(self) -> str:
        """How error messages and headers name this scenario."""
        return str(self.path) if self.path else f"<builtin {self.name}>"
