from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from convsim_core import (
    ConversationResult,
    Judgement,
    Message,
    Outcome,
    ParticipantRole,
    TerminationReason,
    Usage,
)
from convsim_core.models import Conversation
from convsim_core.persistence import TranscriptWriter, read_transcript
from convsim_core.serialization import SchemaError, to_json

T0 = datetime(2026, 3, 1, 9, 0, 5, 120, tzinfo=UTC)


@pytest.mark.parametrize(
    "content",
    ["plain", 'quotes " and \\ backslash', "new\nline\ttab", "emoji ✨ and ünïcode", "\u2028"],
)
async def test_fast_message_line_equals_the_json_form(tmp_path: Path, content: str) -> None:
    path = tmp_path / "t.jsonl"
    writer = TranscriptWriter(path)
    await writer.start({"scenario": "x"})
    message = Message(content, T0, ParticipantRole.AGENT)
    writer.message(4, message)
    await writer.closed()
    line = json.loads(path.read_text(encoding="utf-8").split("\n")[1])
    assert line == {**to_json(message), "index": 4}
    assert read_transcript(path).messages == (message,)


async def test_lines_before_the_file_exists_are_kept_in_order(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "t.jsonl"
    writer = TranscriptWriter(path)
    await writer.start({"scenario": "x"})
    messages = [Message(f"m{i}", T0, ParticipantRole.CUSTOMER) for i in range(5)]
    for index, message in enumerate(messages):
        writer.message(index, message)
    result = ConversationResult(
        Conversation(tuple(messages)), termination_reason=TerminationReason.MAX_MESSAGES
    )
    writer.finish(result)
    await writer.closed()
    saved = read_transcript(path)
    assert saved.header["scenario"] == "x"
    assert saved.messages == tuple(messages)
    assert saved.result == result
    assert not saved.partial


async def test_unwritable_transcript_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    writer = TranscriptWriter(blocker / "t.jsonl")
    await writer.start({})
    writer.message(0, Message("hi", T0, ParticipantRole.CUSTOMER))
    with pytest.raises(OSError):
        await writer.closed()
    assert writer.error is not None


def test_reading_something_that_is_not_a_transcript(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text("hello\n")
    with pytest.raises(SchemaError, match="is not a convsim transcript"):
        read_transcript(path)


@pytest.mark.parametrize("outcome", [None, Outcome("resolved", "Issue resolved")])
async def test_result_line_equals_the_json_form(tmp_path: Path, outcome: Outcome | None) -> None:
    # The writer splices the message lines it already encoded into the result line.
    path = tmp_path / "t.jsonl"
    writer = TranscriptWriter(path)
    await writer.start({})
    messages = (
        Message("hi", T0, ParticipantRole.CUSTOMER),
        Message("it is refunded", T0, ParticipantRole.AGENT, author="simulation"),
    )
    for index, message in enumerate(messages):
        writer.message(index, message)
    result = ConversationResult(
        Conversation(messages, outcome),
        duration_seconds=0.25,
        termination_reason=TerminationReason.OUTCOME_REACHED,
        termination_detail="outcome reached",
        usage=Usage(llm_calls=2, prompt_tokens=10, completion_tokens=5),
        judgement=Judgement(outcome, "agent said it", 1, "refunded", 0.9),
        seed=7,
        protocol_errors=("frame is not JSON",),
    )
    writer.finish(result)
    last = path.read_text(encoding="utf-8").splitlines()[-1]
    assert json.loads(last) == to_json(result)
    assert last == json.dumps(to_json(result), ensure_ascii=False, separators=(",", ":"))
