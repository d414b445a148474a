"""The one exception the LLM layer raises: a call failed for good (after retries).

Runners record ``str(error)`` as the conversation's error, so the message is a single line that
says which model at which endpoint failed and why, never a traceback.
"""

from __future__ import annotations

import re

_MAX_CAUSE = 300
_OPENAI_DEFAULT_URL = "https://api.openai.com/v1"


class LLMError(Exception):
    """An LLM call failed permanently (bad key, unknown model, timeouts and rate limits that
    outlasted the retries, a malformed answer from the endpoint).
    """

    def __init__(self, message: str, *, model: str = "", base_url: str | None = None) -> None:
        super().__init__(message)
        self.model = model
        self.base_url = base_url

    @classmethod
    def for_call(cls, cause: str, *, model: str, base_url: str | None, purpose: str) -> LLMError:
        """A one-line error: which call (``purpose``) to which model at which endpoint, and why."""
        where = base_url or _OPENAI_DEFAULT_URL
        return cls(
            f"LLM call for {purpose} failed: model {model!r} at {where}: {cause}",
            model=model,
            base_url=base_url,
        )

    @classmethod
    def from_exception(
        cls, exc: BaseException, *, model: str, base_url: str | None, purpose: str
    ) -> LLMError:
        """A one-line error for ``exc`` raised while calling ``model`` at ``base_url``."""
        return cls.for_call(describe_cause(exc), model=model, base_url=base_url, purpose=purpose)


def describe_cause(exc: BaseException) -> str:
    """``Type: message`` on one line, shortened, with the type names users recognise."""
    text = re.sub(r"\s+", " ", str(exc)).strip()
    if len(text) > _MAX_CAUSE:
        text = text[: _MAX_CAUSE - 3] + "..."
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
