"""Shared material for the chat-library tests: a real SGD slice and small logs of each format."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SGD_SLICE = DATA / "sgd-slice.jsonl"

RESERVE_TABLE = """
title = "{title}"
name = "{name}"
max_messages = {max_messages}
[[intents]]
role = "customer"
description = "Reserve a table at a restaurant for dinner."
[initial_message]
sender = "customer"
content = "Hi, I'd like to reserve a table at a restaurant tonight."
[customer]
kind = "offline"
{rag}
[customer.facts]
party_size = "four"
[agent]
kind = "offline"
[[outcomes]]
name = "booked"
keywords = ["table is reserved"]
"""
"""An offline scenario that ``{rag}`` may ground in a chat library (realism tests, bench_chats)."""


def sgd_lines() -> list[dict[str, object]]:
    return [json.loads(line) for line in SGD_SLICE.read_text(encoding="utf-8").splitlines()]


def write_sgd(path: Path, start: int, stop: int) -> Path:
    lines = SGD_SLICE.read_text(encoding="utf-8").splitlines()[start:stop]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def library_from_slice(tmp_path: Path, stop: int = 120) -> Path:
    from convsim_core.chats.importers import read_chats
    from convsim_core.chats.library import ChatLibrary

    library = ChatLibrary.open(tmp_path / "lib", create=True)
    library.add(read_chats(write_sgd(tmp_path / "train.jsonl", 0, stop)).chats)
    return library.folder
