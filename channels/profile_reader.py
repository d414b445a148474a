"""Typed reading of a TOML table with errors that name the file, the key and what was expected.

Split from :mod:`channels.profile` so the profile module reads as the list of settings it has.
Errors are worded by :mod:`convsim_core.toml_reader`, exactly as scenario files' are (the same
"expected ..., got ..." and the closest key for a misspelt one).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from convsim_core.toml_reader import MISSING, expected, unknown_key


class ProfileError(ValueError):
    """A bot profile that cannot be used; the message names the file, the key and the fix."""


class Table:
    """One TOML table of a profile, read key by key."""

    def __init__(self, data: Mapping[str, Any], source: str, prefix: str) -> None:
        self.data = data
        self.source = source
        self.prefix = prefix

    def where(self, key: str) -> str:
        return f"{self.source}: {self.prefix}{key}"

    def _fail(self, key: str, what: str, value: Any) -> ProfileError:
        return ProfileError(f"{self.where(key)}: {expected(what, value)}")

    def keys(self) -> list[str]:
        return [str(key) for key in self.data]

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def only(self, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in self.data:
            if key not in allowed:
                raise ProfileError(f"{self.where(str(key))}: {unknown_key(str(key), allowed)}")

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            raise self._fail(key, "a string", value)
        return value

    def required(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise ProfileError(f"{self.where(key)}: {MISSING} (a string)")
        return value

    def optional_choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if value not in choices:
            raise self._fail(key, " or ".join(repr(c) for c in choices), value)
        return str(value)

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.optional_choice(key, choices)
        return default if value is None else value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false", value)
        return value

    def seconds(self, key: str, default: float, *, positive: bool = False) -> float:
        value = self.data.get(key, default)
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < 0 or (positive and value == 0):
            bound = "> 0" if positive else ">= 0"
            raise self._fail(key, f"a number of seconds {bound}", value)
        return float(value)

    def integer(
        self, key: str, default: int, *, minimum: int = 0, maximum: int | None = None
    ) -> int:
        value = self.data.get(key, default)
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value < minimum
            or (maximum is not None and value > maximum)
        ):
            bound = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
            raise self._fail(key, f"an integer {bound}", value)
        return value

    def text_list(self, key: str) -> tuple[str, ...]:
        """A string or a list of strings (e.g. one JSON path or several)."""
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
        raise self._fail(key, "a string or a list of strings", value)

    def scalars(self, key: str) -> tuple[str | int | float | bool, ...]:
        """One JSON scalar or a list of them (the values a filter accepts)."""
        value = self.data.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, str | int | float | bool):
                raise self._fail(key, "a string, number or boolean (or a list of them)", value)
        return tuple(items)

    def table(self, key: str) -> Table:
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            raise self._fail(key, "a table", value)
        return Table(value, self.source, f"{self.prefix}{key}.")
