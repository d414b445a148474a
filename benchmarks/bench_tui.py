"""TUI transcript benchmark: does appending stay fast as the conversation grows?

Run from the repo root: ``python -m benchmarks.bench_tui`` (``--full`` appends every message
one at a time instead of in bursts between the measured windows; slower, same state).

A headless app shows convsim's :class:`TranscriptView` (120x40 cells). For each measured message
the benchmark posts a Textual message carrying it, and stops the clock when the screen update
that includes it has been composed *and* encoded as terminal output (``_display`` with
``render_segments``; the headless driver then discards the bytes). Reported per checkpoint
(messages 10, 1,000 and 5,000): that message's latency, the median and max of the 21 messages
around it, and the main thread's CPU time per message (unaffected by other processes).

Between measured messages the app is left idle for 40 ms: Textual draws at most 60 frames a
second, and a message posted sooner after a frame waits up to two frame periods for its turn;
that wait is the frame cap, not the cost of the message.

Also: scroll responsiveness with 5,000 messages (page-up key to screen updated, and jumps to
random positions), and, in the same run, a naive baseline (one ``Static`` per message in a
plain ``VerticalScroll``, nothing unmounted) for a few hundred messages.

Targets: <= 10 ms at each checkpoint and message 5,000 no slower than 1.5x message 10. A missed
target is printed as MISSED; the exit code is 0 either way (it is a measurement).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import RenderableType
from textual.app import App
from textual.containers import VerticalScroll
from textual.message import Message as TextualMessage
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from convsim_core.models import Message, ParticipantRole
from tui.widgets.transcript import DEFAULT_MAX_LIVE, TranscriptView

SIZE = (120, 40)
GAP = 0.04
WINDOW = 10
CHECKPOINTS = (10, 1_000, 5_000)
BASELINE_CHECKPOINTS = (10, 100, 200, 300)
T0 = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)

LINES = (
    "Hi, I was charged twice for my March subscription. Can I get one payment refunded?",
    "Sure, I can help with that. What's the **email address** on the account?",
    "It's dana.whitfield@example.com.",
    "Thanks! I can see two charges of $24.00:\n\n- March 3, 09:12\n- March 3, 09:13\n\n"
    "Shall I refund the second one to the card ending in `4417`?",
    "Yes please, go ahead. Will I get a confirmation email for my bookkeeping?",
    "Done: the duplicate payment has been refunded; the receipt is on its way to your inbox.",
)


def message(number: int) -> Message:
    role = ParticipantRole.CUSTOMER if number % 2 else ParticipantRole.AGENT
    text = LINES[number % len(LINES)]
    return Message(f"{text} ({number})", T0 + timedelta(seconds=7 * number), role)


class Append(TextualMessage):
    def __init__(self, numbers: list[int], posted: float, cpu: float) -> None:
        super().__init__()
        self.numbers = numbers
        self.posted = posted
        self.cpu = cpu


class Probe:
    """Stops the clock at the first screen update after a message is posted."""

    def __init__(self) -> None:
        self.pending: Append | None = None
        self.done = asyncio.Event()
        self.wall: dict[int, float] = {}
        self.cpu: dict[int, float] = {}

    def arm(self, numbers: list[int]) -> Append:
        self.done.clear()
        self.pending = Append(numbers, time.perf_counter(), time.thread_time())
        return self.pending

    def displayed(self) -> None:
        pending, self.pending = self.pending, None
        if pending is None:
            return
        number = pending.numbers[-1]
        self.wall[number] = time.perf_counter() - pending.posted
        self.cpu[number] = time.thread_time() - pending.cpu
        self.done.set()


class BenchApp(App[None]):
    """Headless host; ``_display`` also encodes the update as a real terminal would need."""

    def __init__(self, body: Widget) -> None:
        super().__init__()
        self.body = body
        self.probe = Probe()

    def compose(self) -> Iterable[Widget]:
        yield self.body

    def on_mount(self) -> None:
        gc.freeze()  # as ConvsimApp does: start-up objects are never scanned again

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        if renderable is not None and hasattr(renderable, "render_segments"):
            renderable.render_segments(self.console)
        super()._display(screen, renderable)
        if renderable is not None:
            self.probe.displayed()


class TranscriptBench(BenchApp):
    def __init__(self, max_live: int = DEFAULT_MAX_LIVE) -> None:
        super().__init__(TranscriptView(tz=UTC, max_live=max_live))

    def on_append(self, event: Append) -> None:
        view = self.query_one(TranscriptView)
        for number in event.numbers:
            view.add_message(number - 1, message(number))


class NaiveBench(BenchApp):
    """The baseline: a Static per message, all mounted, vertical layout, scroll_end each time."""

    def __init__(self) -> None:
        super().__init__(VerticalScroll(id="naive"))

    def on_append(self, event: Append) -> None:
        container = self.query_one("#naive")
        for number in event.numbers:
            item = message(number)
            container.mount(Static(f"{item.sender.value} · {item.content}", classes="bubble"))
        container.scroll_end(animate=False)

    CSS = ".bubble { border-left: wide $primary; margin: 0 0 1 0; padding: 0 1; }"


async def append(app: BenchApp, numbers: list[int], *, gap: float) -> None:
    app.post_message(app.probe.arm(numbers))
    await asyncio.wait_for(app.probe.done.wait(), timeout=30)
    if gap:
        await asyncio.sleep(gap)


def plan(total: int, checkpoints: Iterable[int], full: bool) -> list[tuple[list[int], float]]:
    """Single measured messages around each checkpoint; bursts of up to 100 elsewhere."""
    measured = {
        n for c in checkpoints for n in range(max(1, c - WINDOW), min(total, c + WINDOW) + 1)
    }
    steps: list[tuple[list[int], float]] = []
    burst: list[int] = []
    for number in range(1, total + 1):
        if number in measured or full:
            if burst:
                steps.append((burst, GAP))
                burst = []
            steps.append(([number], GAP if number in measured else 0.0))
        else:
            burst.append(number)
            if len(burst) == 100:
                steps.append((burst, GAP))
                burst = []
    if burst:
        steps.append((burst, GAP))
    return steps


def window(values: dict[int, float], checkpoint: int) -> list[float]:
    return [
        values[n] * 1000 for n in range(checkpoint - WINDOW, checkpoint + WINDOW + 1) if n in values
    ]


async def bench_appends(
    app: BenchApp, total: int, checkpoints: tuple[int, ...], full: bool
) -> dict[int, tuple[float, float, float, float]]:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for numbers, gap in plan(total, checkpoints, full):
            await append(app, numbers, gap=gap)
        results = {}
        for checkpoint in checkpoints:
            walls = window(app.probe.wall, checkpoint)
            cpus = window(app.probe.cpu, checkpoint)
            results[checkpoint] = (
                app.probe.wall[checkpoint] * 1000,
                statistics.median(walls),
                max(walls),
                statistics.median(cpus),
            )
        if isinstance(app, TranscriptBench):
            view = app.query_one(TranscriptView)
            print(
                f"  state at the end: {view.message_count:,} messages,"
                f" {view.live_count} mounted, {view.archived_count:,} in the compact archive"
            )
            await bench_scroll(app, pilot)
    return results


async def bench_scroll(app: TranscriptBench, pilot: Any) -> None:
    view = app.query_one(TranscriptView)
    view.focus()
    await pilot.pause()
    pages: list[float] = []
    for _ in range(40):
        app.probe.arm([0])
        await pilot.press("pageup")
        await asyncio.wait_for(app.probe.done.wait(), timeout=30)
        pages.append(app.probe.wall[0] * 1000)
        await asyncio.sleep(GAP)
    jumps: list[float] = []
    rng = random.Random(7)
    for _ in range(40):
        target = rng.uniform(0, view.max_scroll_y)
        app.probe.arm([0])
        view.scroll_to(y=target, animate=False)
        await asyncio.wait_for(app.probe.done.wait(), timeout=30)
        jumps.append(app.probe.wall[0] * 1000)
        await asyncio.sleep(GAP)
    print(
        f"  scrolling {view.virtual_size.height:,} lines: page-up median"
        f" {statistics.median(pages):.1f} ms (max {max(pages):.1f}); random jump median"
        f" {statistics.median(jumps):.1f} ms (max {max(jumps):.1f})"
    )


def report(title: str, results: dict[int, tuple[float, float, float, float]]) -> None:
    print(title)
    print("  message   latency  median(±10)  max(±10)  cpu median")
    for checkpoint, (latency, median, worst, cpu) in results.items():
        print(
            f"  {checkpoint:>7,}  {latency:6.1f} ms  {median:8.1f} ms  {worst:6.1f} ms"
            f"  {cpu:7.1f} ms"
        )


async def main(full: bool, max_live: int) -> None:
    print(f"TUI transcript benchmark, {SIZE[0]}x{SIZE[1]} headless, frames encoded")
    transcript = await bench_appends(TranscriptBench(max_live), 5_000, CHECKPOINTS, full)
    report(
        f"convsim TranscriptView (stream layout, {max_live} live bubbles + compact archive):",
        transcript,
    )
    naive = await bench_appends(NaiveBench(), max(BASELINE_CHECKPOINTS), BASELINE_CHECKPOINTS, True)
    report("naive baseline (one Static per message, all mounted):", naive)

    first, last = transcript[10][1], transcript[5_000][1]
    ratio = last / first
    verdicts = [(f"message {c:,} median <= 10 ms", transcript[c][1] <= 10.0) for c in CHECKPOINTS]
    verdicts.append((f"message 5,000 / message 10 = {ratio:.2f} <= 1.5", ratio <= 1.5))
    print("targets (medians of the 21 messages around each checkpoint):")
    for text, ok in verdicts:
        print(f"  {'ok    ' if ok else 'MISSED'} {text}")
    print(
        f"  naive baseline at message {max(BASELINE_CHECKPOINTS)}:"
        f" {naive[max(BASELINE_CHECKPOINTS)][1]:.1f} ms (vs {transcript[5_000][1]:.1f} ms"
        " for convsim at message 5,000)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="append every message singly")
    parser.add_argument(
        "--max-live", type=int, default=DEFAULT_MAX_LIVE, help="message widgets kept mounted"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.full, arguments.max_live))
