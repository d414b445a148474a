"""The LLM layer inside a full simulation: participants, judge and completion check together."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from convsim_core.llm import (
    COMPLETION_SCHEMA_NAME,
    JUDGE_SCHEMA_NAME,
    LLMCompletionCheck,
    LLMOutcomeJudge,
    LLMParticipant,
    LLMSettings,
    make_chat_model,
)
from convsim_core.models import (
    Intent,
    MessageDraft,
    Outcome,
    Outcomes,
    ParticipantRole,
    TerminationReason,
)
from convsim_core.runners import FullSimulationRunner, RunnerServices
from convsim_core.usage import UsageMeter
from tests.support.openai_server import (
    OpenAIServer,
    isolated_llm,
    last_user_text,
    roles,
    structured_output_name,
    system_text,
)
from tests.support.timeouts import TIMEOUT

CUSTOMER = ParticipantRole.CUSTOMER
AGENT = ParticipantRole.AGENT
OUTCOMES = Outcomes(
    (
        Outcome("resolved", "The duplicate charge was refunded"),
        Outcome("abandoned", "The customer left without a resolution"),
    )
)
INTENT = Intent(CUSTOMER, "Get the duplicate charge refunded.")
AGENT_LINES = ["I've issued a refund for the duplicate charge.", "Bye, have a good one!"]
CUSTOMER_LINES = ["great, thanks! bye"]


@pytest.fixture(autouse=True)
def _llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    with isolated_llm(monkeypatch, str(tmp_path / "cache.sqlite")):
        yield


def _play(request: dict[str, Any]) -> str | dict[str, Any]:
    """A scripted 'model' that plays every part, dispatching on what was asked."""
    schema = structured_output_name(request)
    if schema == JUDGE_SCHEMA_NAME:
        reached = "refund for the duplicate" in last_user_text(request)
        return {
            "outcome": "resolved" if reached else "none_yet",
            "rationale": "agent issued the refund" if reached else "nothing yet",
        }
    if schema == COMPLETION_SCHEMA_NAME:
        done = "Bye, have a good one!" in last_user_text(request)
        return {"complete": done, "reason": "both said goodbye" if done else "still going"}
    spoken = roles(request).count("assistant")
    if "role-playing a customer" in system_text(request):
        lines, spoken = CUSTOMER_LINES, spoken - 1  # the opening line was the customer's
    else:
        lines = AGENT_LINES
    return lines[spoken] if spoken < len(lines) else "[END]"


async def test_full_simulation_with_llm_participants_judge_and_completion_check() -> None:
    meter = UsageMeter()
    async with OpenAIServer(responder=_play) as server:
        settings = LLMSettings(base_url=server.base_url, max_retries=0, timeout_seconds=TIMEOUT)
        model = make_chat_model(settings)
        judge_model = make_chat_model(settings, temperature=0)
        runner = FullSimulationRunner(
            customer=LLMParticipant(
                CUSTOMER, model, persona="Maria", intents=(INTENT,), usage=meter
            ),
            agent=LLMParticipant(AGENT, model, persona="Sam from billing", usage=meter),
            initial_message=MessageDraft("I was charged twice this month.", CUSTOMER),
            intent=INTENT,
            outcomes=OUTCOMES,
            base_timestamp=datetime(2025, 1, 1, tzinfo=UTC),
            services=RunnerServices(
                judge=LLMOutcomeJudge(judge_model, usage=meter),
                termination=LLMCompletionCheck(judge_model, usage=meter),
                usage=meter,
            ),
        )
        result = await runner.run()

    assert result.error is None
    assert [m.content for m in result.conversation.messages] == [
        "I was charged twice this month.",
        AGENT_LINES[0],
        CUSTOMER_LINES[0],
        AGENT_LINES[1],
    ]
    assert result.termination_reason is TerminationReason.LLM_JUDGEMENT
    assert result.termination_detail == "both said goodbye"
    assert result.conversation.outcome == OUTCOMES.get_outcome_by_name("resolved")
    assert result.judgement is not None and result.judgement.message_index == 1
    # 3 participant turns + 4 judgements + 1 completion check (from the 4th message on).
    assert result.usage.llm_calls == len(server.requests) == 8
    assert result.usage.cache_hits == 0
    assert result.usage.total_tokens == sum(u["total_tokens"] for u in server.usages)


async def test_llm_failure_is_recorded_as_the_runs_error() -> None:
    async with OpenAIServer(fail_always=401) as server:
        settings = LLMSettings(base_url=server.base_url, max_retries=0, cache_path="off")
        model = make_chat_model(settings)
        runner = FullSimulationRunner(
            customer=LLMParticipant(CUSTOMER, model, persona="Maria"),
            agent=LLMParticipant(AGENT, model, persona="Sam"),
            initial_message=MessageDraft("Hello?", CUSTOMER),
            intent=INTENT,
            outcomes=OUTCOMES,
        )
        result = await runner.run()

    assert result.termination_reason is TerminationReason.PARTICIPANT_ERROR
    assert result.error is not None
    assert result.error.startswith(
        "LLMError: LLM call for the agent's next message failed: model 'gpt-4o-mini' at"
    )
    assert "Error code: 401" in result.error
    assert "\n" not in result.error
    assert len(result.conversation.messages) == 1
