"""JSONL transcripts written as the conversation happens.

One header line, one line per message, one final result line. Each line is handed to the OS
in one unbuffered write as it happens, so a crash leaves every message up to the last one on
disk; a transcript without a result line reads back as partial. Lines are small and go to the
OS page cache, so writing them inline costs a few microseconds and never waits on the disk.
"""

from __future__ import annotations

import io
import json
import logging
import operator
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import attrs

from convsim_core.isotime import isoformat
from convsim_core.models import SCHEMA_VERSION, ConversationResult, Message, ParticipantRole
from convsim_core.serialization import (
    SchemaError,
    from_json,
    result_json_without_messages,
    to_json,
)

logger = logging.getLogger(__name__)
_AGENT = ParticipantRole.AGENT
_string = encode_basestring
"""A str as a JSON string literal, as json.dumps(ensure_ascii=False) writes it (the C function)."""
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_compact = _encoder.encode
"""json.dumps(data, ensure_ascii=False, separators=(",", ":")) without a new encoder per call."""
_make_c_encoder: Any = getattr(json.encoder, "c_make_encoder", None)  # None without _json
_c_encoder = (
    None
    if _make_c_encoder is None
    # The C encoder JSONEncoder.encode builds on every call (with a Python closure and a
    # circular-reference dict: half the cost of a header line), built once. Lines are made
    # of convsim's own tree-shaped data, so there is no cycle to detect.
    else _make_c_encoder(None, _encoder.default, _string, None, ":", ",", False, False, True)
)


class TranscriptSink:
    """Where a runner reports a conversation as it happens; the base class discards it."""

    async def start(self, header: dict[str, Any]) -> None:
        return None

    def message(self, index: int, message: Message) -> None:
        return None

    def finish(self, result: ConversationResult) -> None:
        return None

    async def closed(self) -> None:
        """Return once everything reported so far is on disk (raise what went wrong).

        Runners await this directly at the end of a run; a sink that really waits here must
        protect that wait from cancellation itself (``asyncio.shield``) if it cannot be cut short.
        """
        return None


class TranscriptWriter(TranscriptSink):
    """Hands every line to the OS the moment it is reported, in one unbuffered write: a crash
    (or a kill) loses no reported line, even in an offline conversation that never waits.

    The file is created when the conversation starts, inline: tens of microseconds on the
    disks we measured, which a batch of a thousand conversations spreads over its worker
    processes. A file that cannot be created is reported (``error``, the log, and
    :meth:`closed` raising it); the conversation itself goes on.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: io.FileIO | None = None
        self._lines = _Lines()
        self.error: OSError | None = None

    async def start(self, header: dict[str, Any]) -> None:
        try:
            self._file = _create(self.path)
        except OSError as exc:
            self.error = exc
            logger.error("cannot write transcript %s: %s", self.path, exc)
            return
        self._file.write(header_line(header).encode())

    def message(self, index: int, message: Message) -> None:
        if self._file is not None:  # one write(2) per message, straight to the OS
            self._file.write(self._lines.message(index, message).encode())

    def finish(self, result: ConversationResult) -> None:
        if self._file is not None:
            self._file.write(self._lines.result(result).encode())
            self._file.close()
            self._file = None

    async def closed(self) -> None:
        if self.error is not None:
            raise self.error


class _Lines:
    """Formats a conversation's lines; remembers each message's JSON so the result line,
    which repeats every message, does not encode them a second time."""

    __slots__ = ("messages", "parts", "plain")

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.parts: list[str] = []
        self.plain = True
        """No rich message (images, buttons) so far: the result line may reuse the parts."""

    def message(self, index: int, message: Message) -> str:
        # Message.rich spelled out (a property call per message): images and buttons, the
        # rare case, go through cattrs.
        if message.attachments or message.quick_replies or message.choice is not None:
            self.plain = False
            return _line({**to_json(message), "index": index})
        # Hot path: the same bytes as dumps(to_json(message)) + index, without cattrs.
        part = (
            f'"content":{_string(message.content)},'
            f'"timestamp":"{isoformat(message.timestamp)}",'
            f'"sender":"{"agent" if message.sender is _AGENT else "customer"}"'
        )  # (formatting the StrEnum itself runs Enum.__format__, as much as the rest together)
        if message.author is not None:  # who typed it, when a person took a seat
            part += f',"author":{_string(message.author)}'
        if index == len(self.parts):
            self.messages.append(message)
            self.parts.append(part)
        return f'{{"schema_version":{SCHEMA_VERSION},"type":"message",{part},"index":{index}}}\n'

    def result(self, result: ConversationResult) -> str:
        messages = result.conversation.messages
        if (
            not self.plain
            or len(messages) != len(self.messages)
            or not all(map(operator.is_, messages, self.messages))
        ):
            return result_line(result)
        # The result without its messages, then the messages already encoded spliced in
        # ("conversation" is the first field, so the first empty list is its messages).
        line = _line(result_json_without_messages(result))
        encoded = ",".join(f"{{{part}}}" for part in self.parts)
        return line.replace('"messages":[]', f'"messages":[{encoded}]', 1)


class TranscriptLines(TranscriptSink):
    """Keeps the lines in memory: for conversations run where the output folder is not
    (a Ray actor on another machine sends them back to the driver, which writes the file)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._lines = _Lines()

    async def start(self, header: dict[str, Any]) -> None:
        self.lines.append(header_line(header))

    def message(self, index: int, message: Message) -> None:
        self.lines.append(self._lines.message(index, message))

    def finish(self, result: ConversationResult) -> None:
        self.lines.append(self._lines.result(result))


def header_line(header: dict[str, Any]) -> str:
    return _line({"schema_version": SCHEMA_VERSION, "type": "header", **header})


def message_line(index: int, message: Message) -> str:
    return _Lines().message(index, message)


def result_line(result: ConversationResult) -> str:
    return _line(to_json(result))


def _create(path: Path) -> io.FileIO:
    try:
        return io.FileIO(path, "w")
    except FileNotFoundError:  # the first transcript of a new folder
        path.parent.mkdir(parents=True, exist_ok=True)
        return io.FileIO(path, "w")


def _line(data: dict[str, Any]) -> str:
    if _c_encoder is None:
        return _compact(data) + "\n"
    return "".join(_c_encoder(data, 0)) + "\n"


@attrs.frozen
class Transcript:
    """A transcript read back from disk; ``result`` is None when the run did not finish."""

    path: Path
    header: dict[str, Any]
    messages: tuple[Message, ...]
    result: ConversationResult | None
    problems: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return self.result is None


def read_transcript(path: str | Path) -> Transcript:
    """Read a transcript, keeping everything readable even after a crash mid-line."""
    path = Path(path)
    header: dict[str, Any] = {}
    messages: list[Message] = []
    result: ConversationResult | None = None
    problems: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                kind = data.get("type") if isinstance(data, dict) else None
                if kind == "header":
                    header = data
                elif kind == "message":
                    data.pop("index", None)
                    messages.append(from_json(data, Message))
                elif kind == "result":
                    result = from_json(data, ConversationResult)
                else:
                    problems.append(f"line {number}: unknown line type {kind!r}")
            except (json.JSONDecodeError, SchemaError) as exc:
                problems.append(f"line {number}: {exc}")
            except RecursionError:
                problems.append(f"line {number}: nested too deeply to read")
    if not header and not messages and result is None:
        raise SchemaError(f"{path} is not a convsim transcript: {'; '.join(problems) or 'empty'}")
    return Transcript(path, header, tuple(messages), result, tuple(problems))


def rewrite_result(path: str | Path, result: ConversationResult) -> None:
    """Replace the transcript's result line, or append one when the run left none.

    Play mode asks the person to confirm or override the judge's outcome after the chat has
    ended and its result line is already on disk. The new file is written next to the old one
    and renamed over it, so a crash leaves either the old transcript or the new one.
    """
    path = Path(path)
    kept: list[str] = []
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            kept = [line for line in handle if line.strip() and not _is_result_line(line)]
    kept = [line if line.endswith("\n") else line + "\n" for line in kept]
    kept.append(result_line(result))
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("".join(kept), encoding="utf-8")
    temporary.replace(path)


def _is_result_line(line: str) -> bool:
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and data.get("type") == "result"
