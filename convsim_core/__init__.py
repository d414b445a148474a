"""convsim's core: models, participants, runners, termination, judging, LLM access, persistence.

Importable without the TUI or any network library.
"""

from convsim_core.channel import Channel, ChannelError, ChannelState, ProtocolError, Session
from convsim_core.judging import KeywordJudge, KeywordRule, NullJudge, OutcomeJudge
from convsim_core.models import (
    SCHEMA_VERSION,
    Conversation,
    ConversationResult,
    Intent,
    Judgement,
    Message,
    MessageDraft,
    Outcome,
    Outcomes,
    ParticipantRole,
    TerminationReason,
    Usage,
)
from convsim_core.participant import Participant
from convsim_core.runners import (
    FullSimulationRunner,
    HybridSimulationRunner,
    HybridTiming,
    Runner,
    RunnerAlreadyUsed,
    RunnerServices,
)

__all__ = [
    "SCHEMA_VERSION",
    "Channel",
    "ChannelError",
    "ChannelState",
    "Conversation",
    "ConversationResult",
    "FullSimulationRunner",
    "HybridSimulationRunner",
    "HybridTiming",
    "Intent",
    "Judgement",
    "KeywordJudge",
    "KeywordRule",
    "Message",
    "MessageDraft",
    "NullJudge",
    "Outcome",
    "OutcomeJudge",
    "Outcomes",
    "Participant",
    "ParticipantRole",
    "ProtocolError",
    "Runner",
    "RunnerAlreadyUsed",
    "RunnerServices",
    "Session",
    "TerminationReason",
    "Usage",
]
