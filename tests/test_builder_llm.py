"""Scenario LLM sides, judge and checks wired by the builder, against a local OpenAI server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from convsim_core.builder import build_full_runner, build_services
from convsim_core.llm import (
    JUDGE_SCHEMA_NAME,
    LLMCompletionCheck,
    LLMGoalChecker,
    LLMOutcomeJudge,
    LLMParticipant,
)
from convsim_core.models import ParticipantRole, TerminationReason
from convsim_core.offline.agent import OfflineAgent
from convsim_core.scenario import Scenario, builtin_scenario
from convsim_core.termination import AnyOf, GoalCompletion
from convsim_core.usage import UsageMeter
from tests.support.openai_server import (
    OpenAIServer,
    isolated_llm,
    last_user_text,
    structured_output_name,
)

BASE = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    with isolated_llm(monkeypatch, str(tmp_path / "cache.sqlite")):
        yield


def customer_model(request: dict[str, Any]) -> str | dict[str, Any]:
    """Plays the demo's customer, and the judge, dispatching on what was asked."""
    asked = last_user_text(request)
    if structured_output_name(request) == JUDGE_SCHEMA_NAME:
        refunded = "has been refunded" in asked
        return {
            "outcome": "resolved" if refunded else "none_yet",
            "rationale": "the agent refunded it" if refunded else "still going",
        }
    lowered = asked.lower()
    if "email" in lowered and "anything else" not in lowered:
        return "Sure, it's dana.whitfield@example.com."
    if "invoice number" in lowered:
        return "It's INV-20931."
    if "shall i" in lowered:
        return "Yes please, go ahead."
    if "anything else" in lowered:
        return "No, that's everything, thanks!"
    if "refunded" in lowered:
        return "Great, thank you!"
    return "Okay."


def with_llm_customer(scenario: Scenario, **judge: Any) -> Scenario:
    customer = attrs.evolve(scenario.customer, kind="llm")
    scenario = attrs.evolve(scenario, customer=customer)
    if judge:
        scenario = attrs.evolve(scenario, judge=attrs.evolve(scenario.judge, **judge))
    return scenario


async def test_llm_customer_and_judge_run_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    async with OpenAIServer(customer_model) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        scenario = with_llm_customer(builtin_scenario(), kind="llm")
        runner = build_full_runner(scenario, seed=4, base_timestamp=BASE)
        assert isinstance(runner.customer, LLMParticipant)
        assert isinstance(runner.agent, OfflineAgent)
        assert isinstance(runner.services.judge, LLMOutcomeJudge)
        assert runner.services.header["customer_kind"] == "llm"
        assert runner.services.header["judge"] == "llm"
        assert runner.services.header["llm_model"] == "gpt-4o-mini"
        result = await runner.run()
    assert result.error is None, result.error
    assert result.conversation.outcome is not None
    assert result.conversation.outcome.name == "resolved"
    assert result.termination_reason is TerminationReason.CLOSING_PHRASE
    texts = [m.content for m in result.conversation.messages]
    assert "Sure, it's dana.whitfield@example.com." in texts
    # Usage of the customer and the judge lands on the conversation's meter.
    assert result.usage.llm_calls == len(server.answered) > 0
    assert result.usage.prompt_tokens > 0
    participant_calls = [r for r in server.requests if structured_output_name(r) is None]
    assert all(r["model"] == "gpt-4o-mini" and r["seed"] == 4 for r in participant_calls)
    judge_calls = [r for r in server.requests if structured_output_name(r) == JUDGE_SCHEMA_NAME]
    assert judge_calls and all(r["temperature"] == 0.0 for r in judge_calls)


async def test_forcing_the_llm_makes_both_sides_llm_participants() -> None:
    runner = build_full_runner(builtin_scenario(), use_llm=True)
    assert isinstance(runner.customer, LLMParticipant)
    assert isinstance(runner.agent, LLMParticipant)
    assert runner.customer.role is ParticipantRole.CUSTOMER
    assert "Dana Whitfield" in runner.customer.persona
    assert runner.customer.facts["invoice_number"] == "INV-20931"
    assert [i.description for i in runner.customer.intents] == [
        "Get the duplicate March subscription payment refunded."
    ]
    assert runner.customer.model is runner.agent.model  # one chat model per conversation
    assert runner.customer.usage is runner.services.usage


def test_llm_checks_are_added_when_a_key_is_set() -> None:
    scenario = builtin_scenario()
    scenario = attrs.evolve(
        scenario,
        termination=attrs.evolve(scenario.termination, llm_completion=True, goal_completion=True),
    )
    services = build_services(scenario, seed=1, usage=UsageMeter())
    assert isinstance(services.termination, AnyOf)
    kinds = [type(s) for s in services.termination.strategies]
    assert LLMCompletionCheck in kinds
    goal = next(s for s in services.termination.strategies if isinstance(s, GoalCompletion))
    assert isinstance(goal.checker, LLMGoalChecker)
    offline = build_services(scenario, seed=1, usage=UsageMeter(), use_llm=False)
    assert isinstance(offline.termination, AnyOf)
    assert LLMCompletionCheck not in [type(s) for s in offline.termination.strategies]
