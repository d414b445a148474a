"""A worker's reports to the parent: few frames, message counts at the views' pace, finishes
promptly (at once when the worker falls idle)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from convsim_core.batch import PlannedRun
from convsim_core.batch.executor import BatchExecutor
from convsim_core.batch.status import RunState, RunStatus
from convsim_core.batch.worker_process import FINISH_SECONDS, PROGRESS_SECONDS, _Events
from tests.support.sleepy import sleepy_factory
from tests.support.timeouts import TIMEOUT


class RecordingLink:
    """Stands in for the parent's end of the link: keeps every frame sent."""

    def __init__(self) -> None:
        self.frames: list[tuple[Any, ...]] = []

    def send(self, message: tuple[Any, ...]) -> None:
        self.frames.append(message)


def _status(index: int) -> RunStatus:
    return RunStatus(PlannedRun(f"s-{index:04d}", "s", index, index), Path("."))


def _start(events: _Events, status: RunStatus) -> None:
    status.state = RunState.RUNNING
    events(status)


def _finish(events: _Events, status: RunStatus) -> None:
    status.state, status.termination = RunState.DONE, "max_messages"
    events(status)


def _running(count: int) -> tuple[RecordingLink, _Events, list[RunStatus]]:
    """A worker's reports with ``count`` conversations started."""
    link = RecordingLink()
    events = _Events(link)  # type: ignore[arg-type]
    statuses = [_status(i) for i in range(count)]
    for status in statuses:
        _start(events, status)
    return link, events, statuses


async def test_message_counts_go_at_most_every_progress_interval_in_one_frame() -> None:
    link, events, statuses = _running(20)
    for count in range(1, 11):  # 200 messages, as fast as the loop can report them
        for status in statuses:
            status.messages = count
            events(status)
        await asyncio.sleep(0)
    assert link.frames == []  # nothing yet: the views redraw ten times a second at most
    await asyncio.sleep(PROGRESS_SECONDS + 0.05 * TIMEOUT)
    assert len(link.frames) == 1
    kind, messages, done = link.frames[0]
    assert kind == "events" and done == []
    assert messages == {status.run.run_id: 10 for status in statuses}  # the latest counts


async def test_a_finish_goes_within_the_finish_interval_and_at_once_when_idle() -> None:
    link = RecordingLink()
    events = _Events(link)  # type: ignore[arg-type]
    first, second = _status(1), _status(2)
    _start(events, first)
    _start(events, second)
    first.messages = 4
    events(first)
    _finish(events, first)  # another conversation still runs: it may share the frame
    await asyncio.sleep(0)
    assert link.frames == []
    await asyncio.sleep(FINISH_SECONDS + 0.05 * TIMEOUT)
    assert len(link.frames) == 1
    _kind, messages, done = link.frames[0]
    assert messages == {}  # a finished conversation's count travels with its result
    assert [entry[0] for entry in done] == [first.run.run_id]
    _finish(events, second)  # the last one: the worker is idle and wants work now
    await asyncio.sleep(0)
    assert len(link.frames) == 2
    assert [entry[0] for entry in link.frames[1][2]] == [second.run.run_id]


async def test_counts_are_read_off_the_statuses_without_a_call_per_message() -> None:
    link, events, statuses = _running(3)
    for index, status in enumerate(statuses[:2]):
        status.messages = 5 + index  # the executor's sink counts; nobody calls the listener
    await asyncio.sleep(PROGRESS_SECONDS + 0.05 * TIMEOUT)
    assert link.frames == [("events", {"s-0000": 5, "s-0001": 6}, [])]  # only what changed
    statuses[0].messages = 7
    await asyncio.sleep(PROGRESS_SECONDS + 0.05 * TIMEOUT)
    assert link.frames[1:] == [("events", {"s-0000": 7}, [])]
    events.close()


async def test_an_executor_without_message_events_calls_its_listener_on_start_and_end(
    tmp_path: Path,
) -> None:
    heard: list[tuple[RunState, int]] = []
    executor = BatchExecutor(
        (),
        {"s": None},
        sleepy_factory(0.0, 6),
        folder=tmp_path,
        concurrency=1,
        listener=lambda status: heard.append((status.state, status.messages)),
        message_events=False,
    )
    status = await executor.run_one(PlannedRun("s-0000", "s", 0, 1))
    assert status.state is RunState.DONE and status.messages == 6
    assert heard == [(RunState.RUNNING, 0), (RunState.DONE, 6)]
