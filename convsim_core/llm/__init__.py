"""convsim's LLM layer: chat models from settings, LLM participants, judges and checks.

Every call is async (``ainvoke``), metered into a :class:`~convsim_core.usage.UsageMeter`,
answered from the shared SQLite response cache when it was made before, and fails with a
one-line :class:`LLMError` after the SDK's retries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from convsim_core.llm.checks import (
        COMPLETION_SCHEMA_NAME,
        GOAL_SCHEMA_NAME,
        LLMCompletionCheck,
        LLMGoalChecker,
        infer_intent,
    )
    from convsim_core.llm.errors import LLMError
    from convsim_core.llm.judge import (
        INCONCLUSIVE,
        JUDGE_SCHEMA_NAME,
        NONE_YET,
        LLMOutcomeJudge,
    )
    from convsim_core.llm.models import configure_cache, forget_caches, make_chat_model
    from convsim_core.llm.participant import END_MARKER, LLMParticipant
    from convsim_core.llm.settings import LLMSettings
    from convsim_core.llm.usage import UsageCallback

# Importing LangChain takes ~2 s; every CLI start (even `convsim show`) reads LLMSettings, so
# the heavy modules load on first use only.
_HOMES = {
    "COMPLETION_SCHEMA_NAME": "checks",
    "GOAL_SCHEMA_NAME": "checks",
    "LLMCompletionCheck": "checks",
    "LLMGoalChecker": "checks",
    "infer_intent": "checks",
    "LLMError": "errors",
    "JUDGE_SCHEMA_NAME": "judge",
    "NONE_YET": "judge",
    "INCONCLUSIVE": "judge",
    "LLMOutcomeJudge": "judge",
    "configure_cache": "models",
    "forget_caches": "models",
    "make_chat_model": "models",
    "END_MARKER": "participant",
    "LLMParticipant": "participant",
    "LLMSettings": "settings",
    "UsageCallback": "usage",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "COMPLETION_SCHEMA_NAME",
    "END_MARKER",
    "GOAL_SCHEMA_NAME",
    "INCONCLUSIVE",
    "JUDGE_SCHEMA_NAME",
    "NONE_YET",
    "LLMCompletionCheck",
    "LLMError",
    "LLMGoalChecker",
    "LLMOutcomeJudge",
    "LLMParticipant",
    "LLMSettings",
    "UsageCallback",
    "configure_cache",
    "forget_caches",
    "infer_intent",
    "make_chat_model",
]
