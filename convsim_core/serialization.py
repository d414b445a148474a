"""The one stable JSON form of every model, shared by persistence and every channel.

attrs is deliberately not a serialization layer, so one private cattrs converter owns the
mapping. Every top-level document carries ``schema_version`` and a ``type`` tag so a reader can
tell a transcript line, a result and a message apart without guessing.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar, Union, cast

from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter
from cattrs.strategies import configure_tagged_union

from convsim_core import models as m
from convsim_core.models import SCHEMA_VERSION

T = TypeVar("T")

_converter = make_converter(omit_if_default=False)


def _strict_str(value: Any, _cls: type[Any]) -> str:
    # cattrs would quietly str() a number; a bot that sends {"text": 3} deserves an error.
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


_converter.register_structure_hook(str, _strict_str)
# StrEnums are str subclasses: give them their own (more specific) hook back.
for _enum in (m.ParticipantRole, m.TerminationReason):
    _converter.register_structure_hook(_enum, lambda value, cls: cls(value))

# Rich-message fields and ``author`` (take-over) are left out when empty, so a text message has
# the same JSON form as before they existed (old readers, the transcript writer's hot path).
_converter.register_unstructure_hook(
    m.Message,
    make_dict_unstructure_fn(
        m.Message,
        _converter,
        attachments=override(omit_if_default=True),
        quick_replies=override(omit_if_default=True),
        choice=override(omit_if_default=True),
        author=override(omit_if_default=True),
    ),
)

TYPE_TAGS: dict[type[Any], str] = {
    m.MessageDraft: "message_draft",
    m.Message: "message",
    m.Intent: "intent",
    m.Outcome: "outcome",
    m.Outcomes: "outcomes",
    m.Conversation: "conversation",
    m.ConversationResult: "result",
    m.Usage: "usage",
    m.Judgement: "judgement",
}
"""The ``type`` tag of each top-level document (part of the schema: never rename one)."""

Document: Any = Union[tuple(TYPE_TAGS)]  # noqa: UP007 - cattrs dispatches on a typing.Union
"""Every model with a JSON form of its own; cattrs picks the class from the ``type`` tag."""

configure_tagged_union(Document, _converter, tag_generator=TYPE_TAGS.__getitem__, tag_name="type")
_TAGS = frozenset(TYPE_TAGS.values())


class SchemaError(ValueError):
    """A JSON document that is not a convsim model of a version this build understands."""


def unstructure(obj: Any) -> dict[str, Any]:
    """The model as plain JSON-ready data, without the envelope."""
    return cast(dict[str, Any], _converter.unstructure(obj))


def structure(data: Any, cls: type[T]) -> T:
    return _converter.structure(data, cls)


def to_json(obj: Any) -> dict[str, Any]:
    """The model as a tagged, versioned JSON object."""
    tag = TYPE_TAGS.get(type(obj))
    if tag is None:
        raise TypeError(f"{type(obj).__name__} has no JSON form")
    # The class's own hook, which is what the tagged union calls, without dispatching on the
    # Union first (hashing a typing.Union costs more than unstructuring a small model).
    return {"schema_version": SCHEMA_VERSION, "type": tag, **_converter.unstructure(obj)}


def _no_messages(conversation: m.Conversation) -> dict[str, Any]:
    outcome = conversation.outcome
    return {"messages": [], "outcome": None if outcome is None else unstructure(outcome)}


_result_without_messages = make_dict_unstructure_fn(
    m.ConversationResult, _converter, conversation=override(unstruct_hook=_no_messages)
)


def result_json_without_messages(result: m.ConversationResult) -> dict[str, Any]:
    """``to_json(result)`` with ``conversation.messages`` empty, for a writer that already
    encoded every message (a transcript's result line repeats them all)."""
    return {"schema_version": SCHEMA_VERSION, "type": "result", **_result_without_messages(result)}


def from_json(data: dict[str, Any], cls: type[T] | None = None) -> T:
    """Rebuild a model from :func:`to_json` output; ``cls`` checks the tag when given."""
    if not isinstance(data, dict):
        raise SchemaError(f"expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SchemaError(
            f"unsupported schema_version {version!r} (this build reads {SCHEMA_VERSION})"
        )
    tag = data.get("type")
    if tag not in _TAGS:
        raise SchemaError(f"unknown type tag {tag!r}")
    if cls is not None and TYPE_TAGS.get(cls) != tag:
        raise SchemaError(f"expected a {TYPE_TAGS.get(cls, cls.__name__)!r} document, got {tag!r}")
    body = {k: v for k, v in data.items() if k != "schema_version"}
    try:
        return cast(T, _converter.structure(body, Document))
    except Exception as exc:  # cattrs raises grouped errors; flatten them into one message
        raise SchemaError(f"invalid {tag} document: {_describe(exc)}") from exc


def register_record(cls: type[Any], **renames: str) -> None:
    """Give a plain record (no tag, no version) its JSON form on the one converter, where some
    keys are not the field names (``chat_id="id"``); :func:`unstructure` and
    :func:`structure_record` then read and write it."""
    overrides: dict[str, Any] = {name: override(rename=key) for name, key in renames.items()}
    _converter.register_unstructure_hook(
        cls, make_dict_unstructure_fn(cls, _converter, **overrides)
    )
    _converter.register_structure_hook(cls, make_dict_structure_fn(cls, _converter, **overrides))


def structure_record(data: Any, cls: type[T], *, what: str) -> T:
    """A plain (untagged) record such as a manifest section; one-line SchemaError if invalid."""
    try:
        return _converter.structure(data, cls)
    except Exception as exc:
        raise SchemaError(f"invalid {what}: {_describe(exc)}") from exc


def dumps(obj: Any) -> str:
    return json.dumps(to_json(obj), ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes, cls: type[T] | None = None) -> T:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"not JSON: {exc}") from exc
    return from_json(data, cls)


def _describe(exc: BaseException) -> str:
    from cattrs import transform_error
    from cattrs.v import format_exception

    def _format(error: BaseException, type_: type[Any] | None) -> str:
        # Keep our validators' own words ("must be a lowercase slug ...").
        if type(error) is ValueError and str(error):
            return str(error)
        return format_exception(error, type_)

    if isinstance(exc, ExceptionGroup):
        return "; ".join(transform_error(exc, format_exception=_format))
    return str(exc)
