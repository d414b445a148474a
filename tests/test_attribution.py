"""Every fault kind, from real conversations: offline runs, LLM runs against the local
OpenAI-compatible server, and hybrid runs against the real demo bot on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from channels.demo_bot import DemoBotServer
from channels.factory import make_channel
from channels.profile import profile_for_url
from convsim_core.batch.attribution import Fault
from convsim_core.batch.evaluate import judge_run
from convsim_core.batch.verdict import RunVerdict
from convsim_core.builder import build_full_runner
from convsim_core.hybrid_builder import build_hybrid_runner
from convsim_core.scenario import load_scenario
from tests.support.openai_server import OpenAIServer, isolated_llm, last_user_text
from tests.support.refund_scenario import refund_toml
from tests.support.timeouts import MS, TIMEOUT

OFFLINE = """
name = "broken-order"
title = "Broken order"
max_messages = 12
seed = 4
initial_message = "Hi, my order arrived broken. Can you help?"

[customer]
kind = "{customer}"
{turns}
[customer.offline]
satisfied_when = ["refund of"]

[agent.offline]
greeting = []
steps = [
  {{ say = "Sorry to hear that! Let me sort it out." }},
  {{ say = "Let me check the order." }},
]
resolution = "{resolution}"

[[outcomes]]
name = "refunded"
keywords = ["full refund of"]
said_by = "agent"

[[outcomes]]
name = "replaced"
keywords = ["replacement is on its way"]
said_by = "agent"

[expect]
pass = ["refunded"]
{forbid}
{llm}
"""


@pytest.fixture(autouse=True)
def _llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


def _scenario(
    tmp_path: Path,
    *,
    customer: str = "offline",
    turns: str = "",
    resolution: str = "A full refund of $20 has been issued.",
    llm: str = "",
    forbid: str = 'must_not_say = ["check the order"]',
) -> Any:
    path = tmp_path / "s.toml"
    text = OFFLINE.format(
        customer=customer, turns=turns, resolution=resolution, llm=llm, forbid=forbid
    )
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


async def _judge(scenario: Any) -> RunVerdict:
    runner = build_full_runner(scenario, seed=scenario.seed)
    result = await runner.run()
    assert scenario.expect is not None
    return judge_run("r", 0, 0, "r.jsonl", result, scenario.expect, header=runner.services.header)


async def test_the_agent_is_blamed_for_a_forbidden_phrase(tmp_path: Path) -> None:
    verdict = await _judge(_scenario(tmp_path))
    assert verdict.fault is Fault.AGENT
    assert verdict.reason == "the agent said 'check the order' (message 3)"
    assert verdict.message_index == 3
    assert verdict.counted


async def test_the_agent_is_blamed_for_a_wrong_outcome(tmp_path: Path) -> None:
    verdict = await _judge(_scenario(tmp_path, resolution="A replacement is on its way to you."))
    assert verdict.fault is Fault.AGENT
    assert verdict.outcome == "replaced"
    assert "outcome 'replaced' (expected 'refunded')" in verdict.reason


async def test_a_scripted_customer_out_of_script_is_the_simulators_fault(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, customer="scripted", turns='turns = ["It arrived broken."]')
    verdict = await _judge(scenario)
    assert verdict.fault is Fault.SIMULATOR
    assert verdict.reason == "the scripted customer ran out of script"
    assert not verdict.counted


def _llm_table(server: OpenAIServer) -> str:
    return f'[llm]\nbase_url = "{server.base_url}"\nmax_retries = 0\ntimeout_seconds = {TIMEOUT}\n'


async def test_a_customer_that_leaves_its_role_is_the_simulators_fault(tmp_path: Path) -> None:
    async with OpenAIServer(
        responder=lambda _r: "As an AI language model, how can I help you today?"
    ) as server:
        verdict = await _judge(_scenario(tmp_path, customer="llm", llm=_llm_table(server)))
    assert verdict.fault is Fault.SIMULATOR
    assert verdict.reason == "the simulated customer left its role (message 2)"


async def test_a_role_break_does_not_hide_an_earlier_forbidden_phrase(tmp_path: Path) -> None:
    # Message 1 is the agent's "Sorry to hear that! Let me sort it out.", message 2 the
    # customer's role break: the agent's forbidden phrase came first and is its fault.
    async with OpenAIServer(
        responder=lambda _r: "As an AI language model, how can I help you today?"
    ) as server:
        forbid = 'must_not_say = ["sort it out"]'
        scenario = _scenario(tmp_path, customer="llm", llm=_llm_table(server), forbid=forbid)
        verdict = await _judge(scenario)
    assert verdict.fault is Fault.AGENT
    assert verdict.reason == "the agent said 'sort it out' (message 1)"
    assert verdict.message_index == 1 and verdict.counted


async def test_an_llm_error_of_the_customer_is_the_simulators_fault(tmp_path: Path) -> None:
    async with OpenAIServer(failures=[401] * 5) as server:
        verdict = await _judge(_scenario(tmp_path, customer="llm", llm=_llm_table(server)))
    assert verdict.fault is Fault.SIMULATOR
    assert "LLM call for the customer's next message failed" in verdict.reason


async def test_a_rate_limit_is_the_infrastructures_fault(tmp_path: Path) -> None:
    async with OpenAIServer(failures=[429] * 5) as server:
        verdict = await _judge(_scenario(tmp_path, customer="llm", llm=_llm_table(server)))
    assert verdict.fault is Fault.INFRASTRUCTURE
    assert "429" in verdict.reason


async def test_a_working_llm_customer_passes(tmp_path: Path) -> None:
    def reply(request: dict[str, Any]) -> str:
        text = last_user_text(request).lower()
        return "Thanks, that's all. [END]" if "refund" in text else "It arrived broken."

    async with OpenAIServer(responder=reply) as server:
        scenario = _scenario(tmp_path, customer="llm", llm=_llm_table(server), forbid="")
        verdict = await _judge(scenario)
    assert verdict.passed and verdict.fault is None


async def _hybrid(tmp_path: Path, bot: DemoBotServer, url: str, **timing: float) -> RunVerdict:
    text = refund_toml(response_timeout=timing.get("response_timeout", 3000 * MS))
    path = tmp_path / "bot.toml"
    path.write_text(text + '\n[expect]\npass = ["resolved"]\n', encoding="utf-8")
    scenario = load_scenario(path)
    channel = make_channel(profile_for_url(url, kind="webhook", preset=None, base=scenario.bot))
    try:
        runner = build_hybrid_runner(scenario, channel, seed=3)
        result = await runner.run()
    finally:
        await channel.close()
    assert scenario.expect is not None
    return judge_run("r", 0, 0, "r.jsonl", result, scenario.expect, header=runner.services.header)


async def test_channel_errors_and_bot_timeouts_are_the_infrastructures_fault(
    tmp_path: Path,
) -> None:
    async with DemoBotServer() as bot:
        ok = await _hybrid(tmp_path, bot, f"{bot.url}/webhook")
        wrong_path = await _hybrid(tmp_path, bot, f"{bot.url}/no-such-path")
    assert ok.passed
    assert wrong_path.fault is Fault.INFRASTRUCTURE
    assert wrong_path.reason.startswith("channel error: ")
    async with DemoBotServer(reply_delay=1000 * MS, shutdown_timeout=500 * MS) as slow:
        late = await _hybrid(tmp_path, slow, f"{slow.url}/webhook", response_timeout=200 * MS)
    assert late.fault is Fault.INFRASTRUCTURE
    assert late.reason.startswith("the bot did not answer in time")


def test_role_break_needs_words_no_customer_says() -> None:
    from datetime import UTC, datetime

    from convsim_core.batch.attribution import role_break
    from convsim_core.models import Message, ParticipantRole

    stamp = datetime(2026, 1, 1, tzinfo=UTC)

    def chat(text: str) -> list[Message]:
        return [
            Message("Hi, my order arrived broken.", stamp, ParticipantRole.CUSTOMER),
            Message("Sorry! Let me look.", stamp, ParticipantRole.AGENT),
            Message(text, stamp, ParticipantRole.CUSTOMER),
        ]

    assert role_break(chat("Your AI is useless, is this a language model?")) is None
    assert role_break(chat("How can I help you with that order?")) == 2
    assert role_break(chat("Agent: thanks for waiting.")) == 2
    assert role_break(chat("As an AI language model I cannot own a parcel.")) == 2
    assert role_break(chat("Your reservation has been confirmed.")) == 2
    assert role_break(chat("Is my reservation confirmed?")) is None
