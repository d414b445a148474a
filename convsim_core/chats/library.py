"""A chat library: a folder of imported chats (``chats.jsonl``) and its index (``index.json``).

Appendable: each import adds the chats whose ids are new and reports the rest as duplicates.
The index is rewritten atomically (temporary file and rename) after the chats are appended, and
its ``count`` tells the retrieval indexes in the same folder whether they are stale.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from convsim_core.chats.records import Chat

SCHEMA_VERSION = 1
CHATS_FILE = "chats.jsonl"
INDEX_FILE = "index.json"


class ChatLibraryError(ValueError):
    """A library that cannot be opened or read; the message is one line."""


@attrs.frozen
class AddReport:
    added: int
    duplicates: tuple[str, ...]


class ChatLibrary:
    def __init__(self, folder: Path, index: dict[str, Any]) -> None:
        self.folder = folder
        self._index = index
        self._chats: list[Chat] | None = None

    @classmethod
    def open(cls, folder: str | Path, *, create: bool = False) -> ChatLibrary:
        folder = Path(folder)
        index_path = folder / INDEX_FILE
        if not index_path.exists():
            if not create:
                raise ChatLibraryError(
                    f"{folder} is not a chat library (no {INDEX_FILE}; create one with"
                    " 'convsim chats import FILE --into DIR')"
                )
            if folder.exists() and not folder.is_dir():
                raise ChatLibraryError(f"{folder} is a file, not a folder")
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ChatLibraryError(f"cannot create {folder}: {exc.strerror}") from None
            return cls(folder, {"schema_version": SCHEMA_VERSION, "count": 0, "sources": {}})
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ChatLibraryError(f"{index_path}: unreadable index: {exc}") from None
        if not isinstance(index, dict) or not isinstance(index.get("count"), int):
            raise ChatLibraryError(f"{index_path}: not a convsim chat library index")
        return cls(folder, index)

    @property
    def count(self) -> int:
        return int(self._index["count"])

    @property
    def sources(self) -> dict[str, int]:
        return dict(self._index.get("sources", {}))

    def chats(self) -> list[Chat]:
        if self._chats is None:
            self._chats = list(self._read())
        return self._chats

    def get(self, chat_id: str) -> Chat | None:
        return next((c for c in self.chats() if c.chat_id == chat_id), None)

    def add(self, chats: Iterable[Chat]) -> AddReport:
        known = {chat.chat_id for chat in self.chats()} if self.count else set()
        new: list[Chat] = []
        duplicates: list[str] = []
        for chat in chats:
            if chat.chat_id in known:
                duplicates.append(chat.chat_id)
                continue
            known.add(chat.chat_id)
            new.append(chat)
        if new:
            lines = "".join(json.dumps(c.to_json(), ensure_ascii=False) + "\n" for c in new)
            try:
                with (self.folder / CHATS_FILE).open("a", encoding="utf-8") as handle:
                    handle.write(lines)
            except OSError as exc:
                raise ChatLibraryError(f"cannot write {self.folder}: {exc.strerror}") from None
            sources = self.sources
            for chat in new:
                sources[chat.source] = sources.get(chat.source, 0) + 1
            self._index = {
                "schema_version": SCHEMA_VERSION,
                "count": self.count + len(new),
                "sources": sources,
            }
            self._chats = [*self.chats(), *new] if self._chats is not None else None
        self._write_index()
        return AddReport(added=len(new), duplicates=tuple(duplicates))

    def _read(self) -> Iterable[Chat]:
        path = self.folder / CHATS_FILE
        if not path.exists():
            return
        with path.open(encoding="utf-8") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    yield Chat.from_json(json.loads(raw))
                except (json.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
                    raise ChatLibraryError(f"{path}:{number}: malformed chat: {exc}") from None

    def _write_index(self) -> None:
        write_atomically(self.folder / INDEX_FILE, json.dumps(self._index, indent=1) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """A reader sees the old file or the new one, never half of one (a kill cannot empty it)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
