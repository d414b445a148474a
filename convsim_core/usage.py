"""A per-conversation meter that LLM participants and judges add their usage to."""

from __future__ import annotations

import attrs

from convsim_core.models import Usage


@attrs.define
class UsageMeter:
    """Mutable on purpose: many LLM calls of one conversation report into one meter."""

    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0

    def record(
        self, *, prompt_tokens: int = 0, completion_tokens: int = 0, cache_hit: bool = False
    ) -> None:
        self.llm_calls += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.cache_hits += int(cache_hit)

    def snapshot(self) -> Usage:
        return Usage(
            llm_calls=self.llm_calls,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cache_hits=self.cache_hits,
        )
