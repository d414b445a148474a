"""The rate limits a user asks for, apart from the limiter: reading them needs no LangChain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from convsim_core.serialization import structure_record, unstructure

_per_minute: Any = attrs.validators.optional(attrs.validators.gt(0.0))
"""A positive rate (nan is refused too: it is not greater than 0), or None for no limit."""


@attrs.frozen
class RateLimits:
    """What the user asked for; ``None`` means no limit of that kind."""

    requests_per_minute: float | None = attrs.field(default=None, validator=_per_minute)
    tokens_per_minute: float | None = attrs.field(default=None, validator=_per_minute)

    @property
    def enabled(self) -> bool:
        return self.requests_per_minute is not None or self.tokens_per_minute is not None

    def to_dict(self) -> dict[str, Any]:
        return unstructure(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RateLimits:
        """What :meth:`to_dict` wrote (a batch manifest's ``rate_limits``); ValueError if not."""
        return structure_record(data, cls, what="rate_limits")
