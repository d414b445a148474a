"""Frame templates: the shape of what convsim sends, with ``{placeholder}`` holes for each message.

A JSON template is kept as a JSON *structure* and placeholders are substituted into its string
leaves only, so a customer message containing quotes, backslashes or newlines can never break the
JSON or inject fields: ``json.dumps`` does the escaping after substitution. A text template is a
plain string (plain-text WebSocket bots). ``{{`` and ``}}`` are literal braces.

Environment references (``${NAME}``) are a separate, load-time mechanism for URLs and headers
(secrets) and are expanded by :func:`expand_env`; they never appear in frame bodies, so a secret
cannot leak into a transcript by way of a template.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import attrs

PLACEHOLDERS = frozenset(
    {"text", "session_id", "message_id", "timestamp", "callback_url", "service_url", "value"}
)
"""Names a template may use; see :class:`channels.codec.FrameCodec` for their values."""

_HOLE = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ENV = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class TemplateError(ValueError):
    """A template or environment reference that cannot be used; the message names the problem."""


def placeholders_in(value: Any) -> set[str]:
    """Every ``{name}`` used anywhere in the string leaves of a JSON structure."""
    found: set[str] = set()
    if isinstance(value, str):
        found.update(m.group(1) for m in _HOLE.finditer(value) if m.group(1))
    elif isinstance(value, Mapping):
        for item in value.values():
            found |= placeholders_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= placeholders_in(item)
    return found


class _Leaf:
    """A string with placeholders, split once into literal text and names to fill."""

    __slots__ = ("parts",)

    def __init__(self, parts: tuple[tuple[str, bool], ...]) -> None:
        self.parts = parts  # (literal, False) or (placeholder name, True)

    def fill(self, values: Mapping[str, str]) -> str:
        if len(self.parts) == 1:
            return values[self.parts[0][0]]
        return "".join(values[text] if hole else text for text, hole in self.parts)


def _split(text: str) -> str | _Leaf:
    parts: list[tuple[str, bool]] = []
    literal, last = [], 0
    for match in _HOLE.finditer(text):
        literal.append(text[last : match.start()])
        last = match.end()
        name = match.group(1)
        if name is None:
            literal.append(match.group(0)[0])  # "{{" -> "{", "}}" -> "}"
            continue
        if any(literal):
            parts.append(("".join(literal), False))
        literal = []
        parts.append((name, True))
    literal.append(text[last:])
    if not parts:
        return "".join(literal)
    if any(literal):
        parts.append(("".join(literal), False))
    return _Leaf(tuple(parts))


def _compile(value: Any) -> Any:
    """The template with every string leaf pre-split, so rendering is lookups and joins."""
    if isinstance(value, str):
        return _split(value)
    if isinstance(value, dict):
        return {key: _compile(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_compile(item) for item in value]
    return value


def _render(plan: Any, values: Mapping[str, str]) -> Any:
    if isinstance(plan, _Leaf):
        return plan.fill(values)
    if isinstance(plan, dict):
        return {key: _render(item, values) for key, item in plan.items()}
    if isinstance(plan, list):
        return [_render(item, values) for item in plan]
    return plan


def _check_json_value(value: Any, where: str) -> None:
    if value is None or isinstance(value, str | bool | int | float):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TemplateError(f"{where}: object keys must be strings, got {key!r}")
            _check_json_value(item, f"{where}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json_value(item, f"{where}[{index}]")
        return
    raise TemplateError(f"{where}: {type(value).__name__} values cannot be sent as JSON")


@attrs.frozen
class FrameTemplate:
    """What one outgoing frame or request body looks like.

    Stored as text (the JSON of the structure, or the raw text template) so the profile that holds
    it stays immutable and hashable.
    """

    format: str = attrs.field(validator=attrs.validators.in_(("json", "text")))
    source: str

    @classmethod
    def from_value(cls, value: Any, *, format: str, where: str) -> FrameTemplate:
        """Build from a TOML value: a table/array (JSON) or a string (text, or a JSON string)."""
        if format == "text":
            if not isinstance(value, str):
                raise TemplateError(
                    f"{where}: a text template must be a string, got {type(value).__name__}"
                )
            template = cls(format="text", source=value)
        else:
            _check_json_value(value, where)
            template = cls(format="json", source=json.dumps(value, ensure_ascii=False))
        unknown = template.placeholders - PLACEHOLDERS
        if unknown:
            shown = ", ".join("{" + name + "}" for name in sorted(unknown))
            known = ", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS))
            raise TemplateError(
                f"{where}: unknown placeholder(s) {shown}; expected some of {known}"
                " (write {{ and }} for literal braces)"
            )
        return template

    @cached_property
    def structure(self) -> Any:
        """The template as a JSON structure (a string for text templates)."""
        return json.loads(self.source) if self.format == "json" else self.source

    @cached_property
    def placeholders(self) -> frozenset[str]:
        return frozenset(placeholders_in(self.structure))

    @cached_property
    def _plan(self) -> Any:
        return _compile(self.structure)

    def render(self, values: Mapping[str, str]) -> str:
        """The frame to put on the wire; ``values`` must cover :attr:`placeholders`."""
        plan = self._plan
        if self.format == "text":
            return plan.fill(values) if isinstance(plan, _Leaf) else str(plan)
        return json.dumps(_render(plan, values), ensure_ascii=False, separators=(",", ":"))

    def render_value(self, values: Mapping[str, str]) -> Any:
        """The filled-in structure itself, for transports that serialise it themselves
        (Socket.IO event data, Direct Line activities)."""
        plan = self._plan
        if self.format == "text":
            return plan.fill(values) if isinstance(plan, _Leaf) else str(plan)
        return _render(plan, values)


def env_names_in(text: str) -> set[str]:
    """The environment variables a ``${NAME}`` string refers to."""
    return {m.group(1) for m in _ENV.finditer(text) if m.group(1)}


def expand_env(text: str, environ: Mapping[str, str], *, where: str) -> str:
    """Replace ``${NAME}`` with the variable's value (``$$`` is a literal ``$``).

    A missing variable is an error rather than an empty string: an empty bearer token would only
    show up later as a confusing 401 from the bot.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "$"
        if name not in environ:
            raise TemplateError(f"{where}: environment variable {name} is not set")
        return environ[name]

    return _ENV.sub(replace, text)
