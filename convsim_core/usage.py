"""A per-conversation meter that LLM participants and judges add their usage to."""

from __future__ import annotations

import attrs

from convsim_core.models import Usage


@attrs.define
class UsageMeter:
    """Mutable on purpose: many LLM calls of one conversation report into one meter.

    It holds a :class:`Usage` (frozen, so a snapshot is the value itself), so the figures are
    named in one place and a new one needs no second list here.
    """

    total: Usage = attrs.field(factory=Usage)

    def record(
        self, *, prompt_tokens: int = 0, completion_tokens: int = 0, cache_hit: bool = False
    ) -> None:
        """One LLM call (a cache hit is a call too: it is counted, and costs no tokens)."""
        self.total += Usage(
            llm_calls=1,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cache_hits=int(cache_hit),
        )

    def snapshot(self) -> Usage:
        return self.total
