"""JSONL transcripts written as the conversation happens.

One header line, one line per message, one final result line. Each line is handed to the OS
in one unbuffered write as it happens, so a crash leaves every message up to the last one on
disk; a transcript without a result line reads back as partial. Lines are small and go to the
OS page cache, so writing them inline costs about a microsecond and never waits on the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from convsim_core.models import SCHEMA_VERSION, ConversationResult, Message
from convsim_core.serialization import SchemaError, from_json, to_json

logger = logging.getLogger(__name__)
_encode = json.JSONEncoder(ensure_ascii=False).encode


class TranscriptSink:
    """Where a runner reports a conversation as it happens; the base class discards it."""

    async def start(self, header: dict[str, Any]) -> None:
        return None

    def message(self, index: int, message: Message) -> None:
        return None

    def finish(self, result: ConversationResult) -> None:
        return None

    async def closed(self) -> None:
        """Return once everything reported so far is on disk."""
        return None


class TranscriptWriter(TranscriptSink):
    """Writes each line as it comes, in one unbuffered write.

    Creating a file is the one slow disk operation (0.01-0.8 ms on the machines we measured), so
    it happens in a thread while the conversation goes on: lines that arrive before the file
    exists wait in memory for at most that long. Later lines are small writes to the OS page
    cache, a few microseconds each, done inline. A conversation that ends before the thread got
    to its file creates it itself rather than wait for a thread hand-off.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: int | None = None
        self._pending: list[str] = []
        self._opening: asyncio.Future[int] | None = None
        self._finished = False
        self._claimed = False
        self._created: int | None = None
        """Set by the creating thread as soon as the file exists, before the loop hears of it."""
        self.error: OSError | None = None

    async def start(self, header: dict[str, Any]) -> None:
        self._pending.append(_line({"schema_version": SCHEMA_VERSION, "type": "header", **header}))
        self._opening = _FILE_CREATOR.create(self)
        self._opening.add_done_callback(self._opened)

    def _create(self) -> int:
        # A raw descriptor: every write is one system call that hands the line to the OS, and
        # creating it is one system call, so the creating thread needs the GIL back only once
        # per file (it waits for it while the event loop is busy).
        folder = self.path.parent
        if folder not in _known_folders:
            folder.mkdir(parents=True, exist_ok=True)
            _known_folders.add(folder)
        try:
            return os.open(self.path, _CREATE_FLAGS, 0o644)
        except FileNotFoundError:  # the folder went away since we saw it
            folder.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, _CREATE_FLAGS, 0o644)

    def _claim(self) -> bool:
        """Whether the caller (loop or creating thread) is the one to create the file."""
        with _claim_lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    def _opened(self, opening: asyncio.Future[int]) -> None:
        if opening.cancelled() or self._file is not None or self.error is not None:
            return
        error = opening.exception()
        if error is not None:
            self._failed(error)
            return
        self._attach(opening.result())

    def _attach(self, fd: int) -> None:
        self._file = fd
        _write_all(fd, "".join(self._pending).encode())
        self._pending.clear()
        if self._finished:
            os.close(fd)

    def _failed(self, error: BaseException) -> None:
        self.error = error if isinstance(error, OSError) else OSError(str(error))
        logger.error("cannot write transcript %s: %s", self.path, error)

    def message(self, index: int, message: Message) -> None:
        if message.rich:  # images, buttons: the rare case goes through cattrs
            self._write(_line({**to_json(message), "index": index}))
            return
        # Hot path: the same bytes as dumps(to_json(message)) + index, without cattrs.
        self._write(
            f'{{"schema_version":{SCHEMA_VERSION},"type":"message",'
            f'"content":{_encode(message.content)},'
            f'"timestamp":"{message.timestamp.isoformat()}",'
            f'"sender":"{message.sender.value}"'
            + (f',"author":"{message.author}"' if message.author is not None else "")
            + f',"index":{index}}}\n'
        )

    def finish(self, result: ConversationResult) -> None:
        self._write(_line(to_json(result)))
        self._finished = True
        if self._file is not None:
            os.close(self._file)
            return
        opening = self._opening
        if opening is not None and not opening.done() and self._claim():
            try:
                fd = self._create()
            except OSError as exc:
                self._failed(exc)
                opening.set_exception(exc)
            else:
                self._attach(fd)
                opening.set_result(fd)

    async def closed(self) -> None:
        if self._opening is not None:
            await asyncio.shield(self._opening)

    def _write(self, line: str) -> None:
        if self._file is None:
            if self._opening is None:
                raise RuntimeError("transcript not started")
            self._pending.append(line)
            if self.error is None and not self._finished:
                self._open_now()
            return
        _write_all(self._file, line.encode())

    def _open_now(self) -> None:
        """A message is waiting: put it on disk now, not when the loop next hears from the thread.

        A conversation that never waits (offline, no pacing) would otherwise keep every line in
        memory until it ends, and a kill would leave an empty file. Either the thread has made
        the file already (use it), or nobody has claimed it yet (make it here).
        """
        opening = self._opening
        assert opening is not None
        fd = self._created
        if fd is None:
            if opening.done() or not self._claim():
                return  # the thread is creating it right now: its callback attaches it
            try:
                fd = self._create()
            except OSError as exc:
                self._failed(exc)
                opening.set_exception(exc)
                opening.exception()  # retrieved: the error is on self.error
                return
            opening.set_result(fd)
        self._attach(fd)


_Request = tuple[asyncio.AbstractEventLoop, "TranscriptWriter", asyncio.Future[int]]


class _FileCreator:
    """Creates transcript files on one long-lived background thread, in batches.

    Hundreds of conversations start at once in a batch; handing each file to a thread pool
    costs the event loop a future, a queue hand-off and GIL contention per file. Here a start
    costs one ``SimpleQueue.put``: the thread takes everything queued, creates the files and
    reports each batch back to its loop with one ``call_soon_threadsafe``.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def create(self, writer: TranscriptWriter) -> asyncio.Future[int]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._queue.put((loop, writer, future))
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._serve, name="convsim-transcripts", daemon=True
                    )
                    self._thread.start()
        return future

    def _serve(self) -> None:
        while True:
            batch = [self._queue.get()]
            with contextlib.suppress(queue.Empty):
                while True:
                    batch.append(self._queue.get_nowait())
            done: dict[asyncio.AbstractEventLoop, list[Callable[[], None]]] = {}
            for loop, writer, future in batch:
                if not writer._claim():
                    continue  # its conversation ended first and created the file itself
                try:
                    handle = writer._create()
                except Exception as exc:
                    settle = functools.partial(_fail, future, exc)
                else:
                    writer._created = handle
                    settle = functools.partial(_resolve, future, handle)
                done.setdefault(loop, []).append(settle)
            for loop, settles in done.items():
                with contextlib.suppress(RuntimeError):  # that loop has closed meanwhile
                    loop.call_soon_threadsafe(_run_all, settles)


def _run_all(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        callback()


def _resolve(future: asyncio.Future[int], handle: int) -> None:
    if future.cancelled():
        os.close(handle)
    else:
        future.set_result(handle)


def _fail(future: asyncio.Future[int], error: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(error)


_FILE_CREATOR = _FileCreator()


_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
_claim_lock = threading.Lock()
_known_folders: set[Path] = set()
"""Folders already made sure to exist. The creating thread adds to it, and so does the event loop
when a run finishes before its file was created (``finish`` then creates it); ``set.add`` and
``in`` are atomic, and a miss only costs one more ``mkdir``."""


def _write_all(fd: int, data: bytes) -> None:
    written = os.write(fd, data)
    if written < len(data):  # rare for regular files: a signal or a nearly full disk
        view = memoryview(data)[written:]
        while view:
            view = view[os.write(fd, view) :]


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


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
    kept.append(json.dumps(to_json(result), ensure_ascii=False, separators=(",", ":")) + "\n")
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("".join(kept), encoding="utf-8")
    temporary.replace(path)


def _is_result_line(line: str) -> bool:
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and data.get("type") == "result"
