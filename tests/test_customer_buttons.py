"""Simulated customers press a bot's buttons (issue 10): the LLM customer sees them as
``[buttons: Yes | No]`` and answers with a title, the offline customer's "yes" picks one; either
way the press goes to a Rasa-style bot as the button's payload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from channels.factory import make_channel
from channels.profile import profile_for_url
from convsim_core.hybrid_builder import build_hybrid_runner
from convsim_core.models import ParticipantRole, QuickReply, TerminationReason
from convsim_core.scenario import load_scenario
from tests.support.openai_server import OpenAIServer, isolated_llm, last_user_text, message_text
from tests.support.third_party_bots import RasaBot
from tests.test_third_party_bots import scenario


@pytest.fixture(autouse=True)
def _llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


def customer_model(request: dict[str, Any]) -> str:
    asked = last_user_text(request)
    if "[buttons: Yes | No]" in asked:
        return "Yes"
    if "refund is on its way" in asked:
        return "Thanks, goodbye"
    return "Hello, I was charged twice."


async def test_the_llm_customer_presses_a_rasa_button(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = scenario(tmp_path)
    text = path.read_text().replace('kind = "scripted"', 'kind = "llm"')
    path.write_text(text.replace('turns = ["Yes", "Thanks, goodbye"]\n', ""))
    async with OpenAIServer(customer_model) as server, RasaBot() as bot:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        channel = make_channel(profile_for_url(bot.origin, kind="webhook", preset="rasa-rest"))
        try:
            runner = build_hybrid_runner(load_scenario(path), channel)
            result = await runner.run()
        finally:
            await channel.close()
    assert [m["message"] for m in bot.received] == ["Hello", "/affirm", "Thanks, goodbye"]
    press = [m for m in result.conversation.messages if m.sender is ParticipantRole.CUSTOMER][1]
    assert press.content == "Yes" and press.choice is not None
    assert press.choice.payload == "/affirm"
    assert result.termination_reason is TerminationReason.CLOSING_PHRASE
    assert result.conversation.messages[-1].content == "Bye"
    seen = [message_text(m) for r in server.requests for m in r["messages"]]
    assert any("answer with its title exactly" in text for text in seen)
    assert any("[image] https://example.invalid/invoice.png" in text for text in seen)


async def test_the_offline_customer_presses_a_rasa_button(tmp_path: Path) -> None:
    path = scenario(tmp_path)
    text = path.read_text().replace('kind = "scripted"', 'kind = "offline"')
    path.write_text(text.replace('turns = ["Yes", "Thanks, goodbye"]\n', ""))
    async with RasaBot() as bot:
        channel = make_channel(profile_for_url(bot.origin, kind="webhook", preset="rasa-rest"))
        try:
            result = await build_hybrid_runner(load_scenario(path), channel).run()
        finally:
            await channel.close()
    assert [m["message"] for m in bot.received][:2] == ["Hello", "/affirm"]
    press = [m for m in result.conversation.messages if m.sender is ParticipantRole.CUSTOMER][1]
    assert press.content == "Yes" and press.choice == QuickReply("Yes", "/affirm")
