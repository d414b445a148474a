"""Building runners from scenarios: termination wiring, participants, headers, LLM fallback."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from convsim_core.builder import (
    build_full_runner,
    build_participant,
    build_services,
    default_transcript_path,
    resolve_kind,
)
from convsim_core.judging import KeywordJudge, NullJudge
from convsim_core.models import ParticipantRole, TerminationReason
from convsim_core.offline.agent import OfflineAgent
from convsim_core.offline.customer import OfflineCustomer
from convsim_core.offline.scripted import ScriptedParticipant
from convsim_core.offline_judge import OfflineJudge
from convsim_core.persistence import TranscriptWriter, read_transcript
from convsim_core.scenario import Scenario, ScenarioError, builtin_scenario, load_scenario
from convsim_core.termination import (
    AnyOf,
    ClosingPhrases,
    GoalCompletion,
    KeywordGoalChecker,
    OutcomeReached,
)
from convsim_core.usage import UsageMeter

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "scenarios"
BASE = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
C, A = ParticipantRole.CUSTOMER, ParticipantRole.AGENT


def demo() -> Scenario:
    return builtin_scenario()


def with_termination(scenario: Scenario, **changes: Any) -> Scenario:
    return attrs.evolve(scenario, termination=attrs.evolve(scenario.termination, **changes))


async def test_closing_phrase_ends_the_demo() -> None:
    result = await build_full_runner(demo(), base_timestamp=BASE).run()
    assert result.termination_reason is TerminationReason.CLOSING_PHRASE
    last = result.conversation.messages[-1]
    assert last.sender is A and result.termination_detail.startswith('agent said "')


async def test_terminal_outcome_ends_the_chat() -> None:
    scenario = load_scenario(EXAMPLES / "angry-supervisor.toml")
    result = await build_full_runner(scenario, base_timestamp=BASE).run()
    assert result.termination_reason is TerminationReason.OUTCOME_REACHED
    assert result.termination_detail == "outcome 'escalated' reached"


async def test_outcomes_do_not_end_the_chat_unless_terminal() -> None:
    scenario = with_termination(demo(), closing_phrases=(), terminal_outcomes=())
    result = await build_full_runner(scenario, base_timestamp=BASE).run()
    # "resolved" was reached mid-chat; the agent closed and the customer ran out of words.
    assert result.conversation.outcome is not None
    assert result.conversation.outcome.name == "resolved"
    assert result.termination_reason is TerminationReason.PARTICIPANT_FINISHED


async def test_goal_completion_with_phrases() -> None:
    scenario = with_termination(demo(), goal_completion=True, goal_phrases=("has been refunded",))
    result = await build_full_runner(scenario, base_timestamp=BASE).run()
    assert result.termination_reason is TerminationReason.GOAL_COMPLETED
    assert "has been refunded" in result.conversation.messages[-1].content


async def test_goal_completion_offline_falls_back_to_the_customers_satisfaction() -> None:
    scenario = with_termination(demo(), goal_completion=True)
    services = build_services(scenario, seed=1, usage=UsageMeter())
    assert isinstance(services.termination, AnyOf)
    goal = [s for s in services.termination.strategies if isinstance(s, GoalCompletion)]
    assert len(goal) == 1 and isinstance(goal[0].checker, KeywordGoalChecker)
    assert goal[0].checker.phrases == scenario.customer.customer_rules.satisfied_when
    result = await build_full_runner(scenario, base_timestamp=BASE).run()
    assert result.termination_reason is TerminationReason.GOAL_COMPLETED


async def test_max_messages() -> None:
    scenario = attrs.evolve(demo(), max_messages=5)
    result = await build_full_runner(scenario, base_timestamp=BASE).run()
    assert result.termination_reason is TerminationReason.MAX_MESSAGES
    assert len(result.conversation.messages) == 5


async def test_participant_finished_when_a_script_runs_out() -> None:
    base = demo()
    customer = attrs.evolve(base.customer, kind="scripted", turns=("It's dana@example.com.",))
    scenario = with_termination(attrs.evolve(base, customer=customer), closing_phrases=())
    runner = build_full_runner(scenario, base_timestamp=BASE)
    assert isinstance(runner.customer, ScriptedParticipant)
    result = await runner.run()
    assert result.termination_reason is TerminationReason.PARTICIPANT_FINISHED
    assert result.termination_detail == "the customer finished"
    assert [m.sender for m in result.conversation.messages] == [C, A, C, A]


def test_services_compose_judge_and_termination_in_order() -> None:
    services = build_services(demo(), seed=3, usage=UsageMeter(), header={"extra": 1})
    assert isinstance(services.judge, KeywordJudge)
    assert [rule.outcome for rule in services.judge.rules] == [
        "resolved",
        "refund_denied",
        "escalated",
        "abandoned",
    ]
    assert services.judge.rules[0].sender is A
    assert isinstance(services.termination, AnyOf)
    first, second = services.termination.strategies
    assert isinstance(first, OutcomeReached)
    assert first.terminal == frozenset({"escalated", "abandoned"})
    assert isinstance(second, ClosingPhrases)
    assert services.seed == 3
    assert services.header["scenario"] == "demo"
    assert services.header["seed"] == 3
    assert services.header["scenario_path"].endswith("demo.toml")
    assert services.header["customer_kind"] == "offline"
    assert services.header["judge"] == "keyword"
    assert services.header["extra"] == 1
    assert "llm_model" not in services.header


def test_judge_none() -> None:
    scenario = attrs.evolve(demo(), judge=attrs.evolve(demo().judge, kind="none"))
    assert isinstance(build_services(scenario, seed=0, usage=UsageMeter()).judge, NullJudge)


def test_build_participant_kinds() -> None:
    scenario = demo()
    usage = UsageMeter()
    customer = build_participant(scenario, C, seed=1, usage=usage)
    agent = build_participant(scenario, A, seed=1, usage=usage)
    assert isinstance(customer, OfflineCustomer) and customer.role is C
    assert isinstance(agent, OfflineAgent) and agent.role is A
    scripted = attrs.evolve(scenario.agent, kind="scripted", turns=("Hello.",))
    built = build_participant(attrs.evolve(scenario, agent=scripted), A, seed=1, usage=usage)
    assert isinstance(built, ScriptedParticipant) and built.turns == ("Hello.",)


async def test_same_seed_and_base_timestamp_give_the_same_transcript(tmp_path: Path) -> None:
    paths = [tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"]
    seeds = [5, 5, 6]
    for path, seed in zip(paths, seeds, strict=True):
        runner = build_full_runner(
            demo(), seed=seed, base_timestamp=BASE, transcript=TranscriptWriter(path)
        )
        await runner.run()
    lines = [path.read_text(encoding="utf-8").splitlines() for path in paths]
    assert lines[0][1:-1] == lines[1][1:-1]  # every message line, byte for byte
    assert lines[0][1:-1] != lines[2][1:-1]  # another seed reads differently
    results = [json.loads(text[-1]) for text in lines[:2]]
    for result in results:
        result.pop("duration_seconds")
    assert results[0] == results[1]
    transcript = read_transcript(paths[0])
    assert transcript.header["scenario"] == "demo" and transcript.header["seed"] == 5
    assert transcript.messages[0].timestamp == BASE
    assert not transcript.partial


async def test_seed_defaults_to_the_scenarios() -> None:
    runner = build_full_runner(demo(), base_timestamp=BASE)
    assert runner.services.seed == demo().seed == 7


def test_default_transcript_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = demo()
    now = datetime(2024, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)
    path = default_transcript_path(scenario, 7, tmp_path, now=now)
    assert path == tmp_path / "demo" / "20240501T093015123456Z-seed7.jsonl"
    monkeypatch.setenv("CONVSIM_HOME", str(tmp_path / "home"))
    assert default_transcript_path(scenario, 3).parent == tmp_path / "home" / "demo"
    monkeypatch.delenv("CONVSIM_HOME")
    fallback = default_transcript_path(scenario, 3)
    assert fallback.parts[:2] == ("runs", "demo")
    assert re.fullmatch(r"\d{8}T\d{12}Z-seed3\.jsonl", fallback.name)


# -- LLM wiring ---------------------------------------------------------------------------------


def llm_side(scenario: Scenario, role: ParticipantRole) -> Scenario:
    spec = attrs.evolve(scenario.side(role), kind="llm")
    if role is ParticipantRole.CUSTOMER:
        return attrs.evolve(scenario, customer=spec)
    return attrs.evolve(scenario, agent=spec)


def test_llm_side_falls_back_offline_without_a_key(caplog: pytest.LogCaptureFixture) -> None:
    scenario = llm_side(demo(), C)
    with caplog.at_level(logging.WARNING, logger="convsim_core.builder"):
        participant = build_participant(scenario, C, seed=1, usage=UsageMeter())
    assert isinstance(participant, OfflineCustomer)
    assert "OPENAI_API_KEY is not set; playing it offline" in caplog.text
    assert resolve_kind(scenario, C, use_llm=False) == "offline"


def test_forcing_the_llm_without_a_key_is_an_error() -> None:
    with pytest.raises(
        ScenarioError,
        match=r"customer\.kind: an LLM was requested but "
        r"OPENAI_API_KEY is not set",
    ):
        build_participant(demo(), C, seed=1, usage=UsageMeter(), use_llm=True)
    with pytest.raises(ScenarioError, match=r"judge\.kind"):
        scenario = attrs.evolve(demo(), judge=attrs.evolve(demo().judge, kind="llm"))
        build_services(scenario, seed=1, usage=UsageMeter(), use_llm=True)


def test_llm_judge_falls_back_to_the_offline_judge_without_a_key() -> None:
    scenario = attrs.evolve(demo(), judge=attrs.evolve(demo().judge, kind="llm"))
    services = build_services(scenario, seed=1, usage=UsageMeter())
    assert isinstance(services.judge, OfflineJudge)
    assert services.header["judge"] == "offline"


def test_scripted_sides_stay_scripted_even_when_forcing_the_llm() -> None:
    spec = attrs.evolve(demo().customer, kind="scripted", turns=("Hi",))
    scenario = attrs.evolve(demo(), customer=spec)
    assert resolve_kind(scenario, C, use_llm=True) == "scripted"
