"""Which LLM to call and how: model, endpoint, key, sampling, timeouts, retries and the cache.

Settings come from a scenario file (``from_mapping``) and the environment (``with_env``); the
API key itself is never stored, only the name of the variable that holds it, so settings can be
written into transcript headers without leaking secrets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_CACHE_PATH = "~/.cache/convsim/llm-cache.sqlite"
CACHE_ENV = "CONVSIM_LLM_CACHE"
MODEL_ENV = "CONVSIM_MODEL"
BASE_URL_ENV = "OPENAI_BASE_URL"
CACHE_OFF = "off"


def _default_cache_path() -> str:
    # Read when settings are built, so a test or a shell can point the cache elsewhere.
    return os.environ.get(CACHE_ENV) or DEFAULT_CACHE_PATH


@attrs.frozen
class LLMSettings:
    """How to reach the chat model.

    ``cache_path`` is the SQLite file of the LLM response cache; ``"off"`` (or None) disables
    caching. Its default is ``$CONVSIM_LLM_CACHE`` or ``~/.cache/convsim/llm-cache.sqlite``.
    """

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.7
    timeout_seconds: float = 60.0
    max_retries: int = 3
    cache_path: str | None = attrs.field(factory=_default_cache_path)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str) -> LLMSettings:
        """Settings from a parsed config table; every problem names ``source`` and the key."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: expected a table of LLM settings, got {_kind(data)}")
        unknown = sorted(str(key) for key in data if key not in _FIELDS)
        if unknown:
            raise ValueError(
                f"{source}: unknown LLM setting {', '.join(map(repr, unknown))}"
                f" (known: {', '.join(sorted(_FIELDS))})"
            )
        values: dict[str, Any] = {}
        for key, value in data.items():
            values[key] = _FIELDS[key](source, key, value)
        return cls(**values)

    def with_env(self) -> LLMSettings:
        """Apply ``OPENAI_BASE_URL`` and ``CONVSIM_MODEL`` where these settings leave a gap.

        The model counts as unset while it is the built-in default, so ``CONVSIM_MODEL``
        changes the model of every scenario that does not name one.
        """
        changes: dict[str, Any] = {}
        base_url = os.environ.get(BASE_URL_ENV)
        if self.base_url is None and base_url:
            changes["base_url"] = base_url
        model = os.environ.get(MODEL_ENV)
        if self.model == DEFAULT_MODEL and model:
            changes["model"] = model
        return attrs.evolve(self, **changes) if changes else self

    def api_key(self) -> str | None:
        """The API key from the environment variable named by ``api_key_env`` (None if unset)."""
        return os.environ.get(self.api_key_env) or None

    def is_configured(self) -> bool:
        """Whether an API key is available, i.e. whether LLM participants can run at all."""
        return self.api_key() is not None

    @property
    def cache_enabled(self) -> bool:
        return bool(self.cache_path) and self.cache_path != CACHE_OFF


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


def _string(source: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{source}: {key} must be a non-empty string, got {value!r}")
    return value


def _optional_string(source: str, key: str, value: object) -> str | None:
    return None if value is None else _string(source, key, value)


def _number(source: str, key: str, value: object, *, minimum: float, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{source}: {key} must be a number, got {_kind(value)} {value!r}")
    number = float(value)
    if number < minimum or (positive and number <= 0):
        bound = "greater than 0" if positive else f"at least {minimum:g}"
        raise ValueError(f"{source}: {key} must be {bound}, got {value!r}")
    return number


def _temperature(source: str, key: str, value: object) -> float:
    number = _number(source, key, value, minimum=0.0, positive=False)
    if number > 2.0:
        raise ValueError(f"{source}: {key} must be between 0 and 2, got {value!r}")
    return number


def _timeout(source: str, key: str, value: object) -> float:
    return _number(source, key, value, minimum=0.0, positive=True)


def _retries(source: str, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{source}: {key} must be a whole number >= 0, got {value!r}")
    return value


_FIELDS = {
    "model": _string,
    "base_url": _optional_string,
    "api_key_env": _string,
    "temperature": _temperature,
    "timeout_seconds": _timeout,
    "max_retries": _retries,
    "cache_path": _optional_string,
}
