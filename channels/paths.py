"""JSON paths into bot frames (``text``, ``replies[*].text``, ``$[*].text``, ``conversation.id``).

A thin wrapper over jsonpath-ng's extended parser (so filters such as
``$[?(@.type == "text")].text`` work too) that compiles once per profile and knows whether a path
is *singular*: a singular path that matches nothing means a field is missing (a malformed frame),
while a wildcard that matches nothing just means "no items" (a bot turn with no replies).

Singular paths (plain fields and indexes, by far the common case) are evaluated by a direct walk
over the parsed JSON with the same semantics; it is several times faster than jsonpath-ng's
generic machinery, which matters on every inbound frame.
"""

from __future__ import annotations

from typing import Any

import attrs
from jsonpath_ng import jsonpath
from jsonpath_ng.exceptions import JSONPathError
from jsonpath_ng.ext.parser import parse as _parse


class PathError(ValueError):
    """A JSON path that does not parse."""


def _steps(node: Any) -> tuple[str | int, ...] | None:
    """The keys/indexes of a singular path, or None if the path can select several values."""
    if isinstance(node, jsonpath.Child):
        left, right = _steps(node.left), _steps(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, jsonpath.Fields):
        fields = node.fields
        return (fields[0],) if len(fields) == 1 and fields[0] != "*" else None
    if isinstance(node, jsonpath.Index):
        return (node.indices[0],) if len(node.indices) == 1 else None
    if isinstance(node, jsonpath.Root | jsonpath.This):
        return ()
    return None


_MISSING = object()


def _walk(document: Any, steps: tuple[str | int, ...]) -> Any:
    value = document
    for step in steps:
        if isinstance(step, str):
            if not isinstance(value, dict):
                return _MISSING
            value = value.get(step, _MISSING)
            if value is _MISSING:
                return _MISSING
        else:
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return _MISSING
            value = value[step]
    return value


@attrs.frozen
class JsonPath:
    """A compiled JSON path; equality and hashing go by its text."""

    text: str
    _expr: Any = attrs.field(eq=False, hash=False, repr=False)
    _steps: tuple[str | int, ...] | None = attrs.field(eq=False, hash=False, repr=False)

    @property
    def singular(self) -> bool:
        """At most one value: no wildcards, slices, filters, unions or recursive descent."""
        return self._steps is not None

    @classmethod
    def compile(cls, text: str) -> JsonPath:
        if not text.strip():
            raise PathError("a JSON path cannot be empty")
        try:
            expr = _parse(text)
        except (JSONPathError, Exception) as exc:  # ply raises bare Exceptions for lexer errors
            raise PathError(f"invalid JSON path {text!r}: {exc}") from exc
        return cls(text=text, expr=expr, steps=_steps(expr))

    def find(self, document: Any) -> list[Any]:
        """Every value the path selects, in document order."""
        if self._steps is not None:
            value = _walk(document, self._steps)
            return [] if value is _MISSING else [value]
        return self.find_generic(document)

    def find_generic(self, document: Any) -> list[Any]:
        """:meth:`find` by jsonpath-ng alone (the reference the fast walk is tested against)."""
        return [match.value for match in self._expr.find(document)]


def string_leaves(document: Any, *, every_item: bool = True) -> list[tuple[str, str]]:
    """``(path, text)`` of each string in a parsed JSON document, in document order.

    Paths are in this module's syntax (``a.b``, ``$[0].text``; ``$`` for a bare string).
    ``every_item=False`` reads only the first item of each list, as ``[*]``: the shape its items
    are taken to share, which is what a path suggested for ``[bot.reply]`` should match.
    """
    if isinstance(document, str):
        return [("$", document)]
    return _leaves(document, "", every_item)


def _leaves(value: Any, prefix: str, every_item: bool) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(prefix, value)]
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _leaves(item, f"{prefix}.{key}" if prefix else str(key), every_item)
    elif isinstance(value, list):
        steps = enumerate(value) if every_item else (("*", item) for item in value[:1])
        for step, item in steps:
            found += _leaves(item, f"{prefix or '$'}[{step}]", every_item)
    return found
