"""The LLM judge never erases an outcome already reached (local OpenAI-compatible server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from convsim_core.llm import INCONCLUSIVE, JUDGE_SCHEMA_NAME, NONE_YET
from convsim_core.models import Judgement
from tests.support.openai_server import (
    OpenAIServer,
    Reply,
    isolated_llm,
    structured_output_name,
)
from tests.test_llm_judge import INTENT, OUTCOMES, _answers, _chat, _judge

RESOLVED = OUTCOMES.outcomes[0]


@pytest.fixture(autouse=True)
def _llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


def _reached() -> Judgement:
    return Judgement(RESOLVED, "agent said it is done", message_index=3)


@pytest.mark.parametrize("label", [NONE_YET, INCONCLUSIVE])
async def test_none_yet_or_inconclusive_keeps_the_reached_outcome(label: str) -> None:
    previous = _reached()
    async with OpenAIServer(responder=_answers(label)) as server:
        judgement = await _judge(server).judge(_chat(5), OUTCOMES, INTENT, previous)
    assert judgement is previous
    assert len(server.requests) == 1


async def test_invalid_label_twice_keeps_the_reached_outcome_and_counts_the_failure() -> None:
    previous = _reached()
    async with OpenAIServer(responder=_answers("refunded")) as server:
        judge = _judge(server)
        once = await judge.judge(_chat(5), OUTCOMES, INTENT, previous)
        twice = await judge.judge(_chat(6), OUTCOMES, INTENT, once)
    assert once.outcome == RESOLVED and once.message_index == 3 and once.failures == 1
    assert twice.outcome == RESOLVED and twice.failures == 2
    assert twice.rationale == "agent said it is done"
    assert len(server.requests) == 4


async def test_unreadable_answer_keeps_the_reached_outcome() -> None:
    previous = _reached()
    async with OpenAIServer(responder=lambda r: "It was resolved, I think.") as server:
        judgement = await _judge(server).judge(_chat(5), OUTCOMES, INTENT, previous)
    assert judgement.outcome == RESOLVED and judgement.failures == 1


async def test_inconclusive_is_explicit_without_an_outcome() -> None:
    async with OpenAIServer(responder=_answers(INCONCLUSIVE)) as server:
        judgement = await _judge(server).judge(_chat(3), OUTCOMES, INTENT, None)
    assert judgement.outcome is None
    assert judgement.rationale.startswith("inconclusive: ")


async def test_a_new_outcome_replaces_the_previous_one() -> None:
    async with OpenAIServer(responder=_answers("escalated")) as server:
        judgement = await _judge(server).judge(_chat(5), OUTCOMES, INTENT, _reached())
    assert judgement.outcome is not None and judgement.outcome.name == "escalated"
    assert judgement.message_index == 4


async def test_min_messages_waits_before_deciding() -> None:
    async with OpenAIServer(responder=_answers("resolved")) as server:
        judge = _judge(server, min_messages=4)
        early = await judge.judge(_chat(3), OUTCOMES, INTENT, None)
        later = await judge.judge(_chat(4), OUTCOMES, INTENT, early)
    assert early.outcome is None and early.rationale == "not judged yet"
    assert later.outcome == RESOLVED
    assert len(server.requests) == 1


async def test_rationale_must_be_a_string() -> None:
    def answer(request: dict[str, Any]) -> Reply:
        return {"outcome": "resolved", "rationale": 3}

    async with OpenAIServer(responder=answer) as server:
        judgement = await _judge(server).judge(_chat(4), OUTCOMES, INTENT, None)
    assert judgement.outcome is None and judgement.failures == 1
    assert len(server.requests) == 2


async def test_judge_llm_settings_override_llm_for_the_judge_only(tmp_path: Path) -> None:
    from convsim_core.builder import build_full_runner
    from convsim_core.scenario import load_scenario

    def answer(request: dict[str, Any]) -> Reply:
        if structured_output_name(request) == JUDGE_SCHEMA_NAME:
            return {"outcome": "refunded", "rationale": "agent refunded it"}
        return "Thanks, bye!"

    async with OpenAIServer(responder=answer) as server:
        path = tmp_path / "judge-model.toml"
        path.write_text(
            f"""
title = "Judge model"
initial_message = "I was charged twice."
max_messages = 4
[agent]
kind = "scripted"
turns = ["I've refunded the duplicate charge.", "Bye!"]
[customer]
kind = "llm"
[[outcomes]]
name = "refunded"
description = "The duplicate charge was refunded."
[judge]
kind = "llm"
min_messages = 2
[judge.llm]
model = "judge-model"
temperature = 0.0
[llm]
model = "customer-model"
base_url = "{server.base_url}"
max_retries = 0
""",
            encoding="utf-8",
        )
        scenario = load_scenario(path)
        assert scenario.judge.llm is not None
        assert scenario.judge.llm.base_url == server.base_url  # inherited from [llm]
        result = await build_full_runner(scenario, seed=1).run()
    models = {
        ("judge" if structured_output_name(r) == JUDGE_SCHEMA_NAME else "chat"): r["model"]
        for r in server.requests
    }
    assert models == {"judge": "judge-model", "chat": "customer-model"}
    assert result.conversation.outcome is not None
    assert result.conversation.outcome.name == "refunded"


async def test_the_runner_keeps_an_outcome_the_llm_judge_later_fails_to_confirm(
    tmp_path: Path,
) -> None:
    from convsim_core.builder import build_full_runner
    from convsim_core.scenario import load_scenario

    answers = iter(["refunded", NONE_YET, "bogus", "bogus", INCONCLUSIVE])

    def answer(request: dict[str, Any]) -> Reply:
        label = next(answers, NONE_YET)
        return {"outcome": label, "rationale": f"said {label}"}

    async with OpenAIServer(responder=answer) as server:
        path = tmp_path / "keeps.toml"
        path.write_text(
            f"""
title = "Keeps"
initial_message = "I was charged twice."
max_messages = 5
[agent]
kind = "scripted"
turns = ["I've refunded the duplicate charge.", "Anything else?"]
[customer]
kind = "scripted"
turns = ["No, thanks.", "Bye"]
[[outcomes]]
name = "refunded"
description = "The duplicate charge was refunded."
[judge]
kind = "llm"
min_messages = 2
[termination]
closing_phrases = []
[llm]
base_url = "{server.base_url}"
max_retries = 0
""",
            encoding="utf-8",
        )
        result = await build_full_runner(load_scenario(path), seed=1).run()
    assert result.conversation.outcome is not None
    assert result.conversation.outcome.name == "refunded"
    assert result.judgement is not None and result.judgement.message_index == 1
    assert result.judgement.failures == 1  # the two "bogus" answers: one unusable judgement
