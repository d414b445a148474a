"""A strict, typed reader over one TOML table, so scenario errors name the file and the key.

Scenario files are written by hand; a typo that silently does nothing wastes an afternoon. Each
:class:`TableReader` remembers which keys were read, and :meth:`TableReader.finish` rejects the
rest, suggesting the closest allowed key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from convsim_core.slugs import is_slug
from convsim_core.toml_reader import MISSING, describe_type, expected, unknown_key

__all__ = ["ScenarioError", "TableReader", "describe_type"]

_MISSING: Any = object()


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file, the key and what was expected.

    Always one line, so the command line can print it as is.
    """

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}".replace("\n", " "))


class TableReader:
    """Reads typed values out of one table and remembers what it read."""

    def __init__(self, data: Mapping[str, Any], path: str, source: str) -> None:
        self.data = data
        self.path = path
        self.source = source
        self._seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, problem: str) -> ScenarioError:
        return ScenarioError(self.source, self.key(name) if name else self.path, problem)

    def item_error(self, name: str, index: int, problem: str) -> ScenarioError:
        """An error about one item of the array ``name`` (its key reads ``name[index]``)."""
        return ScenarioError(self.source, f"{self.key(name)}[{index}]", problem)

    def has(self, name: str) -> bool:
        return name in self.data

    def _get(self, name: str, default: Any) -> Any:
        self._seen.add(name)
        if name in self.data:
            return self.data[name]
        if default is _MISSING:
            raise self.error(name, MISSING)
        return default

    def _expect(self, name: str, value: object, what: str) -> ScenarioError:
        return self.error(name, expected(what, value))

    def string(
        self,
        name: str,
        default: Any = _MISSING,
        *,
        choices: Iterable[str] | None = None,
        non_empty: bool = False,
    ) -> str:
        value = self._get(name, default)
        if not isinstance(value, str):
            raise self._expect(name, value, "a string")
        options = tuple(choices) if choices is not None else None
        if options is not None and value not in options:
            raise self.error(
                name, f"expected one of {', '.join(map(repr, options))}, got {value!r}"
            )
        if non_empty and not value.strip():
            raise self.error(name, "expected a non-empty string")
        return value

    def optional_string(self, name: str) -> str | None:
        if name not in self.data:
            self._seen.add(name)
            return None
        return self.string(name)

    def slug(self, name: str, default: Any = _MISSING) -> str:
        value = self.string(name, default)
        if not is_slug(value):
            raise self.error(
                name,
                f"expected a lowercase slug (a-z, 0-9, '_' or '-', starting with a letter),"
                f" got {value!r}",
            )
        return value

    def integer(self, name: str, default: Any = _MISSING, *, minimum: int | None = None) -> int:
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._expect(name, value, "an integer")
        if minimum is not None and value < minimum:
            raise self.error(name, f"expected an integer >= {minimum}, got {value}")
        return value

    def optional_integer(self, name: str, *, minimum: int | None = None) -> int | None:
        if name not in self.data:
            self._seen.add(name)
            return None
        return self.integer(name, minimum=minimum)

    def number(self, name: str, default: Any = _MISSING, *, minimum: float | None = None) -> float:
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._expect(name, value, "a number")
        if not math.isfinite(value):
            raise self.error(name, f"expected a finite number, got {value}")
        if minimum is not None and value < minimum:
            raise self.error(name, f"expected a number >= {minimum}, got {value}")
        return float(value)

    def boolean(self, name: str, default: Any = _MISSING) -> bool:
        value = self._get(name, default)
        if not isinstance(value, bool):
            raise self._expect(name, value, "true or false")
        return value

    def strings(self, name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """An array of strings (a single string is accepted as a one-item array)."""
        value = self._get(name, default)
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list | tuple):
            raise self._expect(name, value, "a string or an array of strings")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.item_error(name, index, expected("a string", item))
        return tuple(value)

    def names_of(self, name: str, known: Sequence[str], what: str) -> tuple[str, ...]:
        """An array of strings, each one of ``known`` (``what`` they are: "outcomes")."""
        names = self.strings(name)
        for index, item in enumerate(names):
            if item not in known:
                problem = f"{item!r} is not one of the {what} ({', '.join(known)})"
                raise self.item_error(name, index, problem)
        return names

    def string_map(self, name: str) -> dict[str, str]:
        """A table of short text values; numbers are accepted and kept as written."""
        table = self._get(name, {})
        if not isinstance(table, Mapping):
            raise self._expect(name, table, "a table")
        result: dict[str, str] = {}
        for key, value in table.items():
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ScenarioError(
                    self.source,
                    f"{self.key(name)}.{key}",
                    expected("a string or number", value),
                )
            result[str(key)] = str(value)
        return result

    def table(self, name: str, *, required: bool = False) -> TableReader | None:
        value = self._get(name, _MISSING if required else None)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self._expect(name, value, "a table")
        return TableReader(value, self.key(name), self.source)

    def raw_table(self, name: str) -> Mapping[str, Any] | None:
        """A table passed through untouched (read by someone else's parser)."""
        value = self._get(name, None)
        if value is not None and not isinstance(value, Mapping):
            raise self._expect(name, value, "a table")
        return value

    def raw_value(self, name: str, default: Any = None) -> Any:
        """A value of any type, checked by the caller (e.g. an array mixing strings and tables)."""
        return self._get(name, default)

    def tables(self, name: str, *, required: bool = False) -> list[TableReader]:
        """An array of tables (``[[name]]``), each reader named ``name[index]``."""
        value = self._get(name, _MISSING if required else [])
        if isinstance(value, Mapping) or not isinstance(value, list):
            raise self._expect(name, value, f"an array of tables ([[{self.key(name)}]])")
        readers = []
        for index, item in enumerate(value):
            item_key = f"{self.key(name)}[{index}]"
            if not isinstance(item, Mapping):
                raise ScenarioError(
                    self.source, item_key, f"expected a table, got {describe_type(item)}"
                )
            readers.append(TableReader(item, item_key, self.source))
        return readers

    def finish(self) -> None:
        """Reject keys nobody read: typos must not silently do nothing."""
        unknown = [k for k in self.data if k not in self._seen]
        if not unknown:
            return
        raise self.error(unknown[0], unknown_key(unknown[0], self._seen))
