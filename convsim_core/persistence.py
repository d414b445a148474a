"""JSONL transcripts written as the conversation happens.

One header line, one line per message, one final result line. Each line is flushed when
written, so a crash leaves every message up to the last one on disk; a transcript without a
result line reads back as partial. Lines are small and go to the OS page cache, so writing them
inline costs a few microseconds and never waits on the disk.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import IO, Any

import attrs

from convsim_core.models import SCHEMA_VERSION, ConversationResult, Message
from convsim_core.serialization import SchemaError, from_json, to_json

logger = logging.getLogger(__name__)


class TranscriptSink:
    """Where a runner reports a conversation as it happens; the base class discards it."""

    def start(self, header: dict[str, Any]) -> None:
        return None

    def message(self, index: int, message: Message) -> None:
        return None

    def finish(self, result: ConversationResult) -> None:
        return None


class TranscriptWriter(TranscriptSink):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None

    def start(self, header: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8")
        self._write({"schema_version": SCHEMA_VERSION, "type": "header", **header})

    def message(self, index: int, message: Message) -> None:
        line = to_json(message)
        line["index"] = index
        self._write(line)

    def finish(self, result: ConversationResult) -> None:
        self._write(to_json(result))
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, data: dict[str, Any]) -> None:
        if self._file is None:
            raise RuntimeError("transcript not started")
        self._file.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._file.flush()


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
    if not header and not messages and result is None:
        raise SchemaError(f"{path} is not a convsim transcript: {'; '.join(problems) or 'empty'}")
    return Transcript(path, header, tuple(messages), result, tuple(problems))
