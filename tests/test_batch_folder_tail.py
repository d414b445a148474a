"""transcript_state reads a transcript's last line from the end, whatever the file's length."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convsim_core.batch import TranscriptState, transcript_state
from convsim_core.batch.folder import _TAIL_BLOCK


def result_line(reason: str, *, padding: int = 0) -> str:
    return json.dumps({"type": "result", "termination_reason": reason, "note": "x" * padding})


def write(path: Path, *lines: str, end: str = "\n") -> Path:
    path.write_text("".join(line + end for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("padding", [0, _TAIL_BLOCK - 50, _TAIL_BLOCK, 3 * _TAIL_BLOCK + 7])
def test_a_result_line_of_any_length_is_found(tmp_path: Path, padding: int) -> None:
    body = [json.dumps({"type": "message", "content": "y" * 1000})] * 200
    path = write(tmp_path / "a.jsonl", *body, result_line("closing_phrase", padding=padding))
    assert transcript_state(path) is TranscriptState.COMPLETE


def test_blank_lines_and_crlf_at_the_end_are_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.jsonl", '{"type": "header"}', result_line("max_messages"), end="\r\n"
    )
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n   \n\n")
    assert transcript_state(path) is TranscriptState.COMPLETE


def test_stopped_partial_empty_and_missing(tmp_path: Path) -> None:
    stopped = write(tmp_path / "s.jsonl", '{"type": "header"}', result_line("stopped"))
    assert transcript_state(stopped) is TranscriptState.STOPPED
    cut = tmp_path / "c.jsonl"
    cut.write_text('{"type": "header"}\n{"type": "resu', encoding="utf-8")
    assert transcript_state(cut) is TranscriptState.PARTIAL
    assert transcript_state(write(tmp_path / "e.jsonl", "", "  ")) is TranscriptState.PARTIAL
    assert transcript_state(tmp_path / "none.jsonl") is TranscriptState.MISSING


def test_a_one_line_file_without_a_newline(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(result_line("closing_phrase"), encoding="utf-8")
    assert transcript_state(path) is TranscriptState.COMPLETE
