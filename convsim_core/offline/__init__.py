"""Participants that need no network or API key: rule-based customer and agent, and scripts."""

from convsim_core.offline.agent import OfflineAgent
from convsim_core.offline.config import AgentRules, AgentStep, Answer, CustomerRules, Upsell
from convsim_core.offline.customer import OfflineCustomer
from convsim_core.offline.scripted import ScriptedParticipant

__all__ = [
    "AgentRules",
    "AgentStep",
    "Answer",
    "CustomerRules",
    "OfflineAgent",
    "OfflineCustomer",
    "ScriptedParticipant",
    "Upsell",
]
