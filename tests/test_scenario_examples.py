"""Every shipped scenario reaches its intended outcome offline, for any seed."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from convsim_core.builder import build_full_runner
from convsim_core.models import ConversationResult, TerminationReason
from convsim_core.scenario import Scenario, builtin_scenario, load_scenario

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "scenarios"
BASE = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)

INTENDED = {
    "demo": ("resolved", TerminationReason.CLOSING_PHRASE),
    "cancel-subscription-billing": ("cancelled", TerminationReason.CLOSING_PHRASE),
    "two-factor-setup": ("enabled", TerminationReason.CLOSING_PHRASE),
    "damaged-item-refund": ("refunded", TerminationReason.CLOSING_PHRASE),
    "upsell-agent": ("sale_completed", TerminationReason.CLOSING_PHRASE),
    "angry-supervisor": ("escalated", TerminationReason.OUTCOME_REACHED),
    "customer-gives-up": ("abandoned", TerminationReason.OUTCOME_REACHED),
}


def scenario_named(name: str) -> Scenario:
    return builtin_scenario(name) if name == "demo" else load_scenario(EXAMPLES / f"{name}.toml")


async def run(scenario: Scenario, seed: int | None = None) -> ConversationResult:
    return await build_full_runner(scenario, seed=seed, base_timestamp=BASE).run()


def test_every_example_file_has_an_expectation() -> None:
    assert {p.stem for p in EXAMPLES.glob("*.toml")} | {"demo"} == set(INTENDED)


@pytest.mark.parametrize("name", sorted(INTENDED))
async def test_reaches_its_intended_outcome_for_many_seeds(name: str) -> None:
    scenario = scenario_named(name)
    outcome, reason = INTENDED[name]
    for seed in (None, *range(8)):
        result = await run(scenario, seed)
        conversation = result.conversation
        assert result.error is None
        assert conversation.outcome is not None, (name, seed)
        assert conversation.outcome.name == outcome, (name, seed)
        assert result.termination_reason is reason, (name, seed, result.termination_detail)
        assert len(conversation.messages) < scenario.max_messages


@pytest.mark.parametrize("name", sorted(INTENDED))
async def test_reads_like_a_chat(name: str) -> None:
    result = await run(scenario_named(name))
    messages = result.conversation.messages
    for before, after in itertools.pairwise(messages):
        assert before.sender is not after.sender  # sides alternate
        assert before.timestamp < after.timestamp
    for message in messages:
        assert "{" not in message.content and "}" not in message.content  # no unfilled slots
        assert message.content.strip() == message.content and message.content
    contents = [m.content for m in messages]
    assert len(set(contents)) == len(contents)  # nobody repeats a line word for word


async def test_demo_is_a_short_realistic_refund_chat() -> None:
    scenario = builtin_scenario()
    result = await run(scenario)
    messages = result.conversation.messages
    assert 10 <= len(messages) <= 16
    text = " ".join(m.content for m in messages)
    for fact in scenario.customer.facts.values():
        if fact != "Dana Whitfield":
            assert fact in text  # the customer's details are woven into the chat
    assert result.judgement is not None and "has been refunded" in result.judgement.rationale


async def test_upsell_declined_when_the_customer_says_no() -> None:
    scenario = scenario_named("upsell-agent")
    rules = attrs.evolve(scenario.customer.customer_rules, accepts_upsell=False)
    declining = attrs.evolve(scenario, customer=attrs.evolve(scenario.customer, offline=rules))
    result = await run(declining)
    assert result.conversation.outcome is not None
    assert result.conversation.outcome.name == "sale_declined"
    assert result.termination_reason is TerminationReason.CLOSING_PHRASE


async def test_a_minimal_scenario_runs_with_defaults_only(tmp_path: Path) -> None:
    path = tmp_path / "minimal.toml"
    path.write_text(
        'title = "Minimal"\ninitial_message = "Hello, my parcel never arrived."\n'
        '[[outcomes]]\nname = "resolved"\nkeywords = ["taken care of"]\nsaid_by = "agent"\n',
        encoding="utf-8",
    )
    result = await run(load_scenario(path))
    assert result.conversation.outcome is not None
    assert result.conversation.outcome.name == "resolved"
    assert result.termination_reason is TerminationReason.CLOSING_PHRASE
