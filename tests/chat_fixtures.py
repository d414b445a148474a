"""Shared material for the chat-library tests: a real SGD slice and small logs of each format."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SGD_SLICE = DATA / "sgd-slice.jsonl"

_RESERVE_TABLE = """
title = "{title}"
max_messages = {max_messages}
[[intents]]
role = "customer"
description = "Reserve a table at a restaurant for dinner."
[initial_message]
sender = "customer"
content = "Hi, I'd like to reserve a table at a restaurant tonight."
[customer]
kind = "{customer}"
{rag}
[customer.facts]
party_size = "four"
[agent]
kind = "{agent}"
{agent_extra}
[[outcomes]]
name = "booked"
keywords = ["table is reserved"]
{tail}
"""


_DEFAULTS = {
    "title": "Reserve a table",
    "max_messages": 12,
    "customer": "offline",
    "agent": "offline",
}


class _Blank(dict[str, object]):
    """The other placeholders (``rag``, ``agent_extra``, ``tail``) are empty unless given."""

    def __missing__(self, key: str) -> str:
        return ""


def reserve_table(**fields: object) -> str:
    """A scenario TOML asking for a table, for the chat-library tests and bench_chats: ``rag``
    (a ``rag = {...}`` line) grounds the customer in a library, ``customer``/``agent`` are the
    sides' kinds, ``agent_extra`` adds to the ``[agent]`` table, ``tail`` adds tables at the
    end (``[llm]``); ``title`` and ``max_messages`` as in every scenario. The name is the file's."""
    unknown = set(fields) - {*_DEFAULTS, "rag", "agent_extra", "tail"}
    if unknown:
        raise TypeError(f"reserve_table() has no placeholder {sorted(unknown)}")
    return _RESERVE_TABLE.format_map(_Blank(_DEFAULTS, **fields))


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
