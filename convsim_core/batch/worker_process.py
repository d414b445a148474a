"""The inside of one batch worker process: its own event loop, running many conversations.

The parent (:mod:`convsim_core.batch.workers`) sends conversations as this worker frees up and
gets back, per event-loop iteration, one frame of what changed (message counts, finished runs).
The worker writes each conversation's transcript itself; the parent alone writes the manifest
and the summary. Rate-limited LLM calls wait for the parent's grant, so the limits hold for the
whole batch. Ctrl-C reaches the parent only (this process ignores SIGINT): the parent decides
when to stop, and on ``stop`` the conversations in flight end with a ``stopped`` result line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator
from typing import Any

from convsim_core.batch.executor import BatchExecutor, RunState, RunStatus, ensure_open_files
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


class _Events:
    """Collects what changed during one loop iteration and sends it as one frame."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.messages: dict[str, int] = {}
        self.done: list[tuple[str, int, str | None, str | None, str | None]] = []
        self._scheduled = False

    def __call__(self, status: RunStatus) -> None:
        if status.state is RunState.RUNNING:
            if status.messages:
                self.messages[status.run.run_id] = status.messages
        elif status.state in FINISHED:
            self.done.append(
                (
                    status.run.run_id,
                    status.messages,
                    status.termination,
                    status.error,
                    status.outcome,
                )
            )
        else:
            return
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        if not (self.messages or self.done):
            return
        messages, self.messages = self.messages, {}
        done, self.done = self.done, []
        with contextlib.suppress(LinkClosed):
            self.link.send(("events", messages, done))


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


@contextlib.contextmanager
def _limits(authority: _LinkAuthority | None) -> Iterator[None]:
    if authority is None:
        yield
        return
    from convsim_core.batch.ratelimit import rate_limit_scope
    from convsim_core.batch.remote_limits import RemoteRateLimiter

    with rate_limit_scope(RemoteRateLimiter(authority)):
        yield


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
            )
            ensure_open_files(init["capacity"] + 64)
            authority = _LinkAuthority(link) if init["limited"] else None
            with _limits(authority):
                link.send(("ready",))
                await _loop(link, executor, authority)
    except Exception as exc:
        logger.exception("worker failed")
        with contextlib.suppress(LinkClosed):
            link.send(("fatal", f"{type(exc).__name__}: {exc}"))
    finally:
        with contextlib.suppress(LinkClosed):
            await link.drain()
        await link.close()


async def _loop(link: Link, executor: BatchExecutor, authority: _LinkAuthority | None) -> None:
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
            elif kind == "exit":
                link.send(("bye", _peak_rss_kb()))
                return
            elif kind == "stop":
                return
    finally:
        # Stopping (or the parent gone): every conversation in flight writes "stopped".
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        events.flush()
