"""The inside of one batch worker process: its own event loop, running many conversations.

The parent (:mod:`convsim_core.batch.workers`) sends conversations as this worker frees up and
gets back, in a few frames a second, what changed (message counts, finished runs).
The worker writes each conversation's transcript itself; the parent alone writes the manifest
and the summary. Rate-limited LLM calls wait for the parent's grant, so the limits hold for the
whole batch. Ctrl-C reaches the parent only (this process ignores SIGINT): the parent decides
when to stop, and on ``stop`` the conversations in flight end with a ``stopped`` result line.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import time
from collections.abc import Iterator
from typing import Any

from convsim_core.batch.executor import BatchExecutor, ensure_open_files
from convsim_core.batch.status import RunState, RunStatus
from convsim_core.batch.wire import Link, LinkClosed

logger = logging.getLogger(__name__)

FINISHED = (RunState.DONE, RunState.ERROR, RunState.STOPPED)


def worker_main(sock: socket.socket, index: int) -> None:
    """The worker process's entry point (multiprocessing ``spawn``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(serve(sock))


class _LinkLog(logging.Handler):
    """Sends this worker's log records to the parent, which logs them where its own logs go
    (a terminal line, the dashboard's log, pytest's capture): a worker never writes to a
    terminal a full-screen app is drawing on."""

    def __init__(self, link: Link) -> None:
        super().__init__(logging.WARNING)
        self.link = link

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # the link is gone: nowhere to report to
            self.link.send(("log", record.levelno, self.format(record)))


PROGRESS_SECONDS = 0.1
"""How often message counts go to the parent: the progress views redraw at most 10 times a
second, and every frame costs both processes a system call and a wake-up."""

FINISH_SECONDS = 0.005
"""How long a finished conversation may wait for others to share its frame. Finishes free a
slot the parent refills, so they go promptly, and at once when the worker falls idle."""


class _Events:
    """Collects what changed and sends it to the parent in few frames: message counts at most
    every :data:`PROGRESS_SECONDS`, finished conversations within :data:`FINISH_SECONDS`.

    It hears starts and finishes only (the executor runs with ``message_events=False``): the
    message counts are read off the running conversations' statuses once per progress frame,
    which costs a walk of the conversations in flight ten times a second instead of a call
    on every message.
    """

    def __init__(self, link: Link) -> None:
        self.link = link
        self.messages: dict[str, int] = {}
        self.done: list[tuple[str, int, str | None, str | None, str | None]] = []
        self.running: dict[str, RunStatus] = {}
        self._sent: dict[str, int] = {}
        """The message count last sent for each running conversation."""
        self._flush: asyncio.TimerHandle | asyncio.Handle | None = None
        self._due = 0.0
        self._progress: asyncio.TimerHandle | None = None

    def __call__(self, status: RunStatus) -> None:
        state, run_id = status.state, status.run.run_id
        if state is RunState.RUNNING:  # started, or restarted after a retry's pause
            self.running[run_id] = status
            if self._progress is None:
                loop = asyncio.get_running_loop()
                self._progress = loop.call_later(PROGRESS_SECONDS, self._tick)
        elif state in FINISHED:
            self.running.pop(run_id, None)
            self._sent.pop(run_id, None)
            self.messages.pop(run_id, None)
            self.done.append(
                (run_id, status.messages, status.termination, status.error, status.outcome)
            )
            self._schedule(FINISH_SECONDS if self.running else 0.0)

    def _tick(self) -> None:
        """A progress frame: the counts that changed since the last one."""
        self._progress = None
        sent = self._sent
        for run_id, status in self.running.items():
            count = status.messages
            if sent.get(run_id, 0) != count:
                sent[run_id] = self.messages[run_id] = count
        self.flush()
        if self.running:
            self._progress = asyncio.get_running_loop().call_later(PROGRESS_SECONDS, self._tick)

    def _schedule(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        if self._flush is not None:
            if self._due <= due:
                return
            self._flush.cancel()
        self._due = due
        self._flush = loop.call_soon(self.flush) if delay <= 0 else loop.call_at(due, self.flush)

    def flush(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if not (self.messages or self.done):
            return
        messages, self.messages = self.messages, {}
        done, self.done = self.done, []
        with contextlib.suppress(LinkClosed):
            self.link.send(("events", messages, done))

    def close(self) -> None:
        """Send what is left and stop the progress frames."""
        if self._progress is not None:
            self._progress.cancel()
            self._progress = None
        self.flush()


class _LinkAuthority:
    """The parent process, as this worker's rate-limit authority."""

    def __init__(self, link: Link) -> None:
        from convsim_core.batch.remote_limits import PendingGrants

        self.link = link
        self.grants = PendingGrants()

    async def acquire(self) -> None:
        request, future = self.grants.new()
        try:
            self.link.send(("acquire", request))
            await future
        finally:
            self.grants.forget(request)

    def notify(self, kind: str, value: float | None = None) -> None:
        with contextlib.suppress(LinkClosed):
            self.link.send(("limit", kind, value))


class _LinkGate:
    """The parent's outage gate, as this worker sees it (:class:`~convsim_core.batch.retry.Gate`).

    A conversation that lost the bot closes this worker's gate at once and tells the parent,
    which pauses every worker, probes the bot, and tells them all when it answers again (or
    when the pause gave up): one outage pause for the whole batch, as in one process.
    """

    def __init__(self, link: Link, is_open: bool, given_up: bool) -> None:
        self.link = link
        self.given_up = given_up
        self._open = asyncio.Event()
        if is_open:
            self._open.set()

    async def wait_open(self) -> None:
        await self._open.wait()

    def report_failure(self, detail: str) -> None:
        if not self._open.is_set() or self.given_up:
            return
        self._open.clear()
        with contextlib.suppress(LinkClosed):
            self.link.send(("outage", detail))

    def update(self, is_open: bool, given_up: bool) -> None:
        """What the parent's gate says now."""
        self.given_up = given_up
        if is_open:
            self._open.set()
        else:
            self._open.clear()


@contextlib.contextmanager
def _limits(authority: _LinkAuthority | None) -> Iterator[None]:
    if authority is None:
        yield
        return
    from convsim_core.batch.ratelimit import rate_limit_scope
    from convsim_core.batch.remote_limits import RemoteRateLimiter

    with rate_limit_scope(RemoteRateLimiter(authority)):
        yield


GC_YOUNG_THRESHOLD = 10_000
"""Allocations between two collections of the youngest generation in a worker (Python's
default: 700). A thousand conversations in flight keep tens of thousands of young objects
alive (tasks, frames, messages), so the default walks them every few messages, and a
conversation leaves almost no cyclic garbage to find (none in the benchmark's, about five
objects per LLM call): the walks cost about 4% of a worker's instructions for nothing. Higher
(50,000) saves little more and lets more of that garbage wait."""


def _collect_less() -> None:
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def _peak_rss_kb() -> int | None:
    """This process's peak resident memory in KiB (Linux: VmHWM, which, unlike ru_maxrss,
    starts afresh at exec instead of carrying the forking parent's peak)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


async def serve(sock: socket.socket) -> None:
    reader, writer = await asyncio.open_connection(sock=sock)
    link = Link(reader, writer)
    root = logging.getLogger()
    root.handlers[:] = [_LinkLog(link)]
    root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    try:
        kind, init = await link.receive()
    except LinkClosed:
        return
    assert kind == "init", kind
    gate = _LinkGate(link, *init["gate"]) if init["retry"] is not None else None
    try:
        async with init["setup"].open() as factory:
            executor = BatchExecutor(
                (),
                init["scenarios"],
                factory,
                folder=init["folder"],
                concurrency=init["capacity"],
                header=init["header"],
                scenario_headers=init["scenario_headers"],
                listener=_Events(link),
                retry=init["retry"],
                gate=gate,
                message_events=False,
            )
            ensure_open_files(init["capacity"] + 64)
            # Everything imported and set up so far lives as long as the process: keep the
            # collector from walking it again on every full collection.
            gc.collect()
            gc.freeze()
            _collect_less()
            authority = _LinkAuthority(link) if init["limited"] else None
            with _limits(authority):
                link.send(("ready",))
                await _loop(link, executor, authority, gate, time.process_time())
    except Exception as exc:
        logger.exception("worker failed")
        with contextlib.suppress(LinkClosed):
            link.send(("fatal", f"{type(exc).__name__}: {exc}"))
    finally:
        with contextlib.suppress(LinkClosed):
            await link.drain()
        await link.close()


async def _loop(
    link: Link,
    executor: BatchExecutor,
    authority: _LinkAuthority | None,
    gate: _LinkGate | None,
    ready_cpu: float,
) -> None:
    tasks: set[asyncio.Task[Any]] = set()
    events = executor.listener
    assert isinstance(events, _Events)
    try:
        while True:
            try:
                message = await link.receive()
            except LinkClosed:
                logger.warning("the batch process went away; stopping")
                return
            kind = message[0]
            if kind == "run":
                for run in message[1]:
                    task = asyncio.create_task(executor.run_one(run), name=run.run_id)
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
            elif kind == "granted" and authority is not None:
                authority.grants.granted(message[1])
            elif kind == "gate" and gate is not None:
                gate.update(message[1], message[2])
            elif kind == "exit":
                link.send(("bye", _peak_rss_kb(), time.process_time() - ready_cpu))
                return
            elif kind == "stop":
                return
    finally:
        # Stopping (or the parent gone): every conversation in flight writes "stopped".
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        events.close()
