"""The rate limits a user asks for, apart from the limiter: reading them needs no LangChain."""

from __future__ import annotations

import attrs


@attrs.frozen
class RateLimits:
    """What the user asked for; ``None`` means no limit of that kind."""

    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("requests_per_minute", "tokens_per_minute"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be greater than 0, got {value!r}")

    @property
    def enabled(self) -> bool:
        return self.requests_per_minute is not None or self.tokens_per_minute is not None

    def to_dict(self) -> dict[str, float | None]:
        return {
            "requests_per_minute": self.requests_per_minute,
            "tokens_per_minute": self.tokens_per_minute,
        }
