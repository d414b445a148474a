"""A chat model with only a synchronous implementation must not block convsim's event loop."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from convsim_core import Conversation, Message, ParticipantRole
from convsim_core.llm import LLMParticipant
from tests.support.timeouts import MS

BLOCKING_SECONDS = 50 * MS


class SyncOnlyChatModel(BaseChatModel):
    """Implements only ``_generate`` and sleeps in it, as a careless sync client would."""

    @property
    def _llm_type(self) -> str:
        return "sync-only-test"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **_: Any,
    ) -> ChatResult:
        time.sleep(BLOCKING_SECONDS)
        return ChatResult(generations=[ChatGeneration(message=AIMessage("Sure, one moment."))])


async def test_sync_only_model_runs_off_the_event_loop() -> None:
    participant = LLMParticipant(
        ParticipantRole.AGENT, SyncOnlyChatModel(cache=False), persona="Support agent"
    )
    conversation = Conversation(
        (Message("Hi, I need help", datetime(2026, 1, 1, tzinfo=UTC), ParticipantRole.CUSTOMER),)
    )
    loop = asyncio.get_running_loop()
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = loop.time()
        while not done.is_set():
            await asyncio.sleep(5 * MS)
            now = loop.time()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    start = loop.time()
    replies = await asyncio.gather(*(participant.get_next_message(conversation) for _ in range(4)))
    elapsed = loop.time() - start
    done.set()
    await ticking
    assert all(r is not None and r.content == "Sure, one moment." for r in replies)
    # Blocking calls would stall the ticker for 50 ms each and serialise to >= 200 ms.
    assert max(gaps) < BLOCKING_SECONDS * 0.8
    assert elapsed < 4 * BLOCKING_SECONDS
