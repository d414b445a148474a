"""Reading existing chat logs in the formats support teams have, into :class:`Chat` records.

Formats: convsim transcripts; rows of (conversation id, role, text[, timestamp, outcome]) as
JSONL or CSV; the OpenAI chat format (``{"messages": [...]}`` per line); the Schema-Guided
Dialogue format (``{"turns": [[speaker, utterance, acts], ...]}`` per line). ``.gz`` files are
read transparently.

A line that cannot be read at all is a :class:`ChatImportError` naming the file and line, and
nothing of that import is kept; a chat that can be read but is no use (no customer turn, an
unknown role) is skipped with the reason, so the report says exactly what was left out.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from convsim_core.chats.records import Chat, ChatTurn
from convsim_core.chats.scrub import scrub
from convsim_core.models import ParticipantRole

FORMATS = ("auto", "convsim", "rows", "openai-chat", "sgd")

_CUSTOMER_ROLES = frozenset(
    {"customer", "user", "client", "human", "visitor", "guest", "caller", "consumer", "end_user"}
)
_AGENT_ROLES = frozenset(
    {"agent", "assistant", "bot", "system", "support", "operator", "representative", "rep", "ai"}
)
_ID_COLUMNS = ("conversation_id", "conversation", "chat_id", "session_id", "dialogue_id", "id")
_ROLE_COLUMNS = ("role", "speaker", "sender", "author", "from")
_TEXT_COLUMNS = ("text", "content", "message", "utterance", "body")
_TIME_COLUMNS = ("timestamp", "time", "created_at", "ts")
_OUTCOME_COLUMNS = ("outcome", "label", "resolution")


class ChatImportError(ValueError):
    """A file or line that cannot be read; the message is one line naming both."""


@attrs.frozen
class Skipped:
    source: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.where}: {self.reason}"


@attrs.define
class ReadResult:
    chats: list[Chat] = attrs.field(factory=list)
    skipped: list[Skipped] = attrs.field(factory=list)


def normalise_role(value: object) -> ParticipantRole | None:
    """The convsim role for a log's speaker name, or None when it is neither side."""
    if not isinstance(value, str):
        return None
    name = value.strip().lower().replace("-", "_").replace(" ", "_")
    if name in _CUSTOMER_ROLES:
        return ParticipantRole.CUSTOMER
    if name in _AGENT_ROLES:
        return ParticipantRole.AGENT
    return None


def read_chats(path: Path, *, fmt: str = "auto", scrub_pii: bool = True) -> ReadResult:
    if fmt not in FORMATS:
        raise ChatImportError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    try:
        text = _read_text(path)
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        raise ChatImportError(f"{path}: cannot read: {exc}") from None
    if fmt == "auto":
        fmt = _detect(path, text)
    reader = _READERS[fmt]
    result = reader(path, text)
    if scrub_pii:
        result.chats = [_scrubbed(chat) for chat in result.chats]
    kept: list[Chat] = []
    for chat in result.chats:
        if not chat.customer_texts:
            result.skipped.append(Skipped(str(path), chat.chat_id, "no customer turn"))
        else:
            kept.append(chat)
    result.chats = kept
    return result


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8-sig")


def _base(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".jsonl", ".json", ".csv"):
        name = name.removesuffix(suffix)
    return name


def _detect(path: Path, text: str) -> str:
    if path.name.removesuffix(".gz").endswith(".csv"):
        return "rows"
    for number, line in _json_lines(path, text):
        if not isinstance(line, Mapping):
            raise ChatImportError(f"{path}:{number}: expected a JSON object per line")
        if line.get("type") == "header" and "schema_version" in line:
            return "convsim"
        if isinstance(line.get("messages"), list):
            return "openai-chat"
        if isinstance(line.get("turns"), list):
            return "sgd"
        return "rows"
    raise ChatImportError(f"{path}: empty file")


def _json_lines(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ChatImportError(f"{path}:{number}: not JSON: {exc}") from None


def _objects(path: Path, text: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for number, data in _json_lines(path, text):
        if not isinstance(data, Mapping):
            raise ChatImportError(f"{path}:{number}: expected a JSON object per line")
        yield number, data


def _with_list(
    path: Path, text: str, key: str
) -> Iterator[tuple[int, Mapping[str, Any], list[Any]]]:
    """Each record with the list under ``key`` (a chat's messages or turns); without one, the
    error names the line."""
    for number, data in _objects(path, text):
        items = data.get(key)
        if not isinstance(items, list):
            raise ChatImportError(f"{path}:{number}: expected a {key!r} list")
        yield number, data, items


# -- formats -------------------------------------------------------------------------------


def _read_convsim(path: Path, text: str) -> ReadResult:
    result = ReadResult()
    turns: list[ChatTurn] = []
    outcome: str | None = None
    for number, data in _objects(path, text):
        kind = data.get("type")
        if kind == "message":
            role = normalise_role(data.get("sender"))
            content = data.get("content")
            if role is None or not isinstance(content, str):
                raise ChatImportError(f"{path}:{number}: a message needs a sender and content")
            if content.strip():
                turns.append(ChatTurn(role, content, _str_or_none(data.get("timestamp"))))
        elif kind == "result":
            conversation = data.get("conversation")
            found = conversation.get("outcome") if isinstance(conversation, Mapping) else None
            outcome = found.get("name") if isinstance(found, Mapping) else "none"
    result.chats.append(Chat(_base(path), str(path), tuple(turns), outcome=outcome))
    return result


def _read_rows(path: Path, text: str) -> ReadResult:
    if path.name.removesuffix(".gz").endswith(".csv"):
        rows: Iterable[tuple[int, Mapping[str, Any]]] = _csv_rows(path, text)
    else:
        rows = _objects(path, text)
    result = ReadResult()
    order: list[str] = []
    turns: dict[str, list[ChatTurn]] = {}
    outcomes: dict[str, str] = {}
    known: dict[tuple[str, ...], dict[str, str | None]] = {}
    for number, row in rows:
        shape = tuple(str(k) for k in row)  # JSONL rows may carry optional keys on some lines
        columns = known.get(shape)
        if columns is None:
            columns = known[shape] = _columns(path, number, row)
        chat_id = _cell(path, number, row, columns["id"])
        role_name = _cell(path, number, row, columns["role"])
        content = _cell(path, number, row, columns["text"])
        role = normalise_role(role_name)
        if role is None:
            result.skipped.append(Skipped(str(path), str(number), f"unknown role {role_name!r}"))
            continue
        if chat_id not in turns:
            order.append(chat_id)
            turns[chat_id] = []
        if content.strip():
            stamp = _str_or_none(row.get(columns["time"])) if columns["time"] else None
            turns[chat_id].append(ChatTurn(role, content, stamp))
        outcome = row.get(columns["outcome"]) if columns["outcome"] else None
        if isinstance(outcome, str) and outcome.strip():
            outcomes[chat_id] = outcome.strip()
    for chat_id in order:
        result.chats.append(
            Chat(
                f"{_base(path)}:{chat_id}",
                str(path),
                tuple(turns[chat_id]),
                outcome=outcomes.get(chat_id),
            )
        )
    return result


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise ChatImportError(f"{path}:{reader.line_num}: not CSV: {exc}") from None


def _columns(path: Path, number: int, row: Mapping[str, Any]) -> dict[str, str | None]:
    keys = {str(k).strip().lower(): str(k) for k in row if k is not None}

    def pick(names: tuple[str, ...], what: str, required: bool) -> str | None:
        for name in names:
            if name in keys:
                return keys[name]
        if required:
            raise ChatImportError(
                f"{path}:{number}: no {what} column (expected one of {', '.join(names)})"
            )
        return None

    return {
        "id": pick(_ID_COLUMNS, "conversation id", True),
        "role": pick(_ROLE_COLUMNS, "role", True),
        "text": pick(_TEXT_COLUMNS, "text", True),
        "time": pick(_TIME_COLUMNS, "timestamp", False),
        "outcome": pick(_OUTCOME_COLUMNS, "outcome", False),
    }


def _cell(path: Path, number: int, row: Mapping[str, Any], column: str | None) -> str:
    value = row.get(column) if column else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ChatImportError(f"{path}:{number}: {column!r} must be text, got {value!r}")
    return value


def _read_openai(path: Path, text: str) -> ReadResult:
    result = ReadResult()
    for number, data, messages in _with_list(path, text, "messages"):
        turns: list[ChatTurn] = []
        chat_id = str(data.get("id", number))
        unknown: str | None = None
        for message in messages:
            if not isinstance(message, Mapping):
                raise ChatImportError(f"{path}:{number}: every message must be an object")
            role_name = message.get("role")
            if role_name in ("system", "developer", "tool"):
                continue  # instructions and tool output, not turns of the chat
            role = normalise_role(role_name)
            content = _openai_content(message.get("content"))
            if content is None:
                raise ChatImportError(f"{path}:{number}: a message needs text content")
            if role is None:
                unknown = str(role_name)
                break
            if content.strip():
                turns.append(ChatTurn(role, content))
        if unknown is not None:
            result.skipped.append(Skipped(str(path), str(number), f"unknown role {unknown!r}"))
            continue
        outcome = data.get("outcome")
        result.chats.append(
            Chat(
                f"{_base(path)}:{chat_id}",
                str(path),
                tuple(turns),
                outcome=outcome if isinstance(outcome, str) else None,
            )
        )
    return result


def _openai_content(content: object) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: keep the text ones
        parts = [p.get("text") for p in content if isinstance(p, Mapping)]
        return " ".join(p for p in parts if isinstance(p, str))
    return None


def _read_sgd(path: Path, text: str) -> ReadResult:
    result = ReadResult()
    for number, data, raw_turns in _with_list(path, text, "turns"):
        turns: list[ChatTurn] = []
        for turn in raw_turns:
            if not isinstance(turn, list) or len(turn) < 2 or not isinstance(turn[1], str):
                raise ChatImportError(f"{path}:{number}: a turn is [speaker, utterance, acts]")
            role = normalise_role(turn[0])
            if role is None:
                raise ChatImportError(f"{path}:{number}: unknown speaker {turn[0]!r}")
            turns.append(ChatTurn(role, turn[1]))
        services = data.get("services")
        intent = (
            ", ".join(_service_name(s) for s in services if isinstance(s, str))
            if isinstance(services, list)
            else None
        )
        label = data.get("label")
        result.chats.append(
            Chat(
                f"{_base(path)}:{data.get('id', number)}",
                str(path),
                tuple(turns),
                outcome=label if isinstance(label, str) else None,
                intent=intent or None,
            )
        )
    return result


def _service_name(service: str) -> str:
    """``Restaurants_1`` -> ``restaurants``: the schema version is not part of the intent."""
    head, _, tail = service.rpartition("_")
    return (head if tail.isdigit() and head else service).lower()


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _scrubbed(chat: Chat) -> Chat:
    turns = tuple(attrs.evolve(t, text=scrub(t.text)) for t in chat.turns)
    return attrs.evolve(chat, turns=turns)


_READERS = {
    "convsim": _read_convsim,
    "rows": _read_rows,
    "openai-chat": _read_openai,
    "sgd": _read_sgd,
}
