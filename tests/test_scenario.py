"""Loading scenarios: the builtin demo, every example file, defaults and the small helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from convsim_core.models import ParticipantRole
from convsim_core.offline.config import AgentRules, CustomerRules
from convsim_core.scenario import (
    ScenarioError,
    builtin_scenario,
    list_builtin_scenarios,
    list_scenarios,
    load_scenario,
    parse_scenario,
)
from convsim_core.termination import DEFAULT_CLOSING_PHRASES

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "scenarios"
EXAMPLE_NAMES = (
    "angry-supervisor",
    "cancel-subscription-billing",
    "customer-gives-up",
    "damaged-item-refund",
    "two-factor-setup",
    "upsell-agent",
)

MINIMAL = """
title = "Minimal"
initial_message = "Hello, my order never arrived."

[[outcomes]]
name = "resolved"
keywords = ["taken care of"]
"""


def write(tmp_path: Path, text: str, name: str = "minimal.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_demo_loads_with_its_settings() -> None:
    scenario = builtin_scenario()
    assert scenario.name == "demo"
    assert scenario.title == "Refund for a double charge"
    assert scenario.seed == 7
    assert scenario.customer.kind == "offline" and scenario.agent.kind == "offline"
    assert scenario.customer.facts["email"] == "dana.whitfield@example.com"
    assert scenario.intent is not None and scenario.intent.role is ParticipantRole.CUSTOMER
    assert scenario.outcomes.names == ("resolved", "refund_denied", "escalated", "abandoned")
    assert scenario.termination.terminal_outcomes == ("escalated", "abandoned")
    assert [step.ask for step in scenario.agent.agent_rules.steps] == [
        "email",
        "invoice_number",
        None,
    ]
    assert scenario.llm.model == "gpt-4o-mini"
    assert scenario.path is not None and scenario.path.name == "demo.toml"
    assert "demo" in list_builtin_scenarios()


def test_unknown_builtin_names_the_available_ones() -> None:
    with pytest.raises(ScenarioError, match=r"no builtin scenario 'nope' \(available: .*demo"):
        builtin_scenario("nope")


def test_list_scenarios_finds_every_example_sorted() -> None:
    found = list_scenarios(EXAMPLES)
    assert [p.stem for p in found] == sorted(EXAMPLE_NAMES)
    assert list_scenarios(EXAMPLES / "missing") == []


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_loads_and_is_complete(name: str) -> None:
    scenario = load_scenario(EXAMPLES / f"{name}.toml")
    assert scenario.name == name
    assert scenario.title and scenario.description
    assert scenario.intent is not None
    assert 3 <= len(scenario.outcomes.outcomes) <= 5
    assert all(outcome.description for outcome in scenario.outcomes.outcomes)
    assert scenario.judge.kind == "offline"  # the examples use the default judge
    assert {k.outcome for k in scenario.judge.keywords} == set(scenario.outcomes.names)
    assert scenario.customer.kind == scenario.agent.kind == "offline"
    assert scenario.customer.persona and scenario.customer.facts
    assert scenario.termination.terminal_outcomes
    assert scenario.max_messages <= 30


def test_upsell_example_has_an_agent_intent_and_an_offer() -> None:
    scenario = load_scenario(EXAMPLES / "upsell-agent.toml")
    agent_intents = scenario.intents_of(ParticipantRole.AGENT)
    assert len(agent_intents) == 1 and "Upsell" in agent_intents[0].description
    assert scenario.agent.agent_rules.upsell is not None
    assert scenario.customer.customer_rules.accepts_upsell is True


def test_minimal_scenario_gets_defaults(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, MINIMAL))
    assert scenario.name == "minimal"  # from the file name
    assert scenario.initial_message.sender is ParticipantRole.CUSTOMER
    assert scenario.initial_message.content == "Hello, my order never arrived."
    assert scenario.max_messages == 30 and scenario.seed == 0
    assert scenario.customer.kind == "offline"
    assert isinstance(scenario.customer.offline, CustomerRules)
    assert isinstance(scenario.agent.offline, AgentRules)
    assert scenario.customer.customer_rules.patience == 3
    assert scenario.termination.closing_phrases == DEFAULT_CLOSING_PHRASES
    assert scenario.termination.terminal_outcomes == ()
    assert scenario.termination.inactivity_timeout == 30.0
    assert scenario.termination.typing_delay is True
    assert scenario.intent is None
    assert scenario.bot is None


def test_full_tables_are_read(tmp_path: Path) -> None:
    text = """
name = "custom_name"
title = "T"
seed = 42
max_messages = 9

[initial_message]
sender = "agent"
content = "Hi, how can I help?"

[customer]
kind = "scripted"
turns = ["I need a refund.", "Thanks, bye."]

[agent]
kind = "llm"
persona = "A helpful agent."
instructions = "Be brief."

[[outcomes]]
name = "refunded"
description = "Money back."
keywords = ["refunded"]
said_by = "agent"

[judge]
kind = "keyword"

[termination]
closing_phrases = ["see you"]
terminal_outcomes = ["refunded"]
goal_completion = true
goal_phrases = ["refunded"]
# Parsed settings, not waits: the numbers are what the test reads back.
inactivity_timeout = 5
response_timeout = 2.5
settle_seconds = 0
max_wall_time = 60
typing_delay = false

[llm]
model = "my-model"
base_url = "http://127.0.0.1:9/v1"
temperature = 0.2

[bot]
url = "ws://127.0.0.1:8765"
[bot.extract]
text = "$.text"
"""
    scenario = load_scenario(write(tmp_path, text, "other.toml"))
    assert scenario.name == "custom_name"
    assert scenario.initial_message.sender is ParticipantRole.AGENT
    assert scenario.customer.turns == ("I need a refund.", "Thanks, bye.")
    assert scenario.agent.kind == "llm" and scenario.agent.instructions == "Be brief."
    keywords = scenario.judge.keywords[0]
    assert keywords.outcome == "refunded" and keywords.said_by is ParticipantRole.AGENT
    spec = scenario.termination
    assert spec.closing_phrases == ("see you",) and spec.goal_phrases == ("refunded",)
    assert spec.response_timeout == 2.5 and spec.settle_seconds == 0.0
    assert spec.typing_delay is False and spec.goal_completion is True
    assert scenario.llm.model == "my-model" and scenario.llm.temperature == 0.2
    assert scenario.bot == {"url": "ws://127.0.0.1:8765", "extract": {"text": "$.text"}}


def test_parse_scenario_from_a_mapping_needs_a_name_without_a_path() -> None:
    data = {
        "title": "T",
        "initial_message": "Hi",
        "outcomes": [{"name": "done", "keywords": ["done"]}],
    }
    with pytest.raises(ScenarioError, match=r"^<memory>: name: missing required key"):
        parse_scenario(data, source="<memory>")
    scenario = parse_scenario({**data, "name": "from-memory"}, source="<memory>")
    assert scenario.name == "from-memory" and scenario.path is None


def test_agent_intent_does_not_become_the_runner_intent(tmp_path: Path) -> None:
    text = MINIMAL + '\n[[intents]]\nrole = "agent"\ndescription = "Sell something."\n'
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.intent is None
    assert scenario.intents_of(ParticipantRole.AGENT)[0].description == "Sell something."
