"""The LLM customer with real customers' turns in its prompt (see :mod:`.grounding`)."""

from __future__ import annotations

from langchain_core.messages import BaseMessage, SystemMessage

from convsim_core.chats.grounding import ExampleFinder, examples_block
from convsim_core.chats.retrieval import TurnHit
from convsim_core.llm.participant import LLMParticipant
from convsim_core.models import Conversation, Message


class GroundedLLMCustomer(LLMParticipant):
    """Examples change with the conversation; they depend on nothing else, so caching holds."""

    def __init__(self, *args: object, finder: ExampleFinder, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.finder = finder
        self._examples: list[TurnHit] = []

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        self._examples = await self.finder.examples(conversation)
        return await super().get_next_message(conversation)

    def prompt_messages(self, conversation: Conversation) -> list[BaseMessage]:
        messages = super().prompt_messages(conversation)
        if self._examples:
            prompt = f"{self.system_prompt}\n\n{examples_block(self._examples)}"
            messages[0] = SystemMessage(prompt)
        return messages
