"""Hybrid runs at scale: many concurrent demo conversations through the real channels.

    python -m benchmarks.bench_hybrid [--conversations 200] [--modes ws-mux,ws-conn,webhook]

The builtin ``demo`` scenario's offline customer (no typing delay, a short settle time) talks to
the built-in :class:`~channels.demo_bot.DemoBotServer`, which runs in a separate process so the
figures measure the client side (runners + channels) on its own cores. Each mode runs all the
conversations at once through one channel:

* ``ws-mux``  - :class:`~channels.websocket.WebSocketChannel`, ``demo-ws`` preset, every session
  multiplexed on one connection;
* ``ws-conn`` - the same JSON protocol with ``session_mode = "connection"`` (one connection per
  session);
* ``webhook`` - :class:`~channels.webhook.WebhookChannel`, sync ``generic-json`` preset.

Every message is accounted for, per session: what the customer sent (its transcript) against what
the bot received, and what the bot delivered against what the customer's conversation recorded.
The bot's side comes from a ``GET /stats`` endpoint this module adds next to the bot (a recording
:class:`TurnEngine`; the demo bot itself is unchanged). Target: nothing lost or duplicated, and
every conversation ends the way a chat does (no timeout, error or limit).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

import aiohttp
import attrs
from aiohttp import web

from channels.demo_bot import DemoBotServer
from channels.demo_bot.turns import NO_HOOKS, Deliver, TurnEngine, TurnHooks
from channels.factory import make_channel, profile_for_url
from channels.inbox import InboxSession
from channels.profile import BotProfile
from convsim_core.channel import Channel, Session
from convsim_core.hybrid_builder import build_hybrid_runner
from convsim_core.models import ConversationResult, ParticipantRole, TerminationReason
from convsim_core.runners.hybrid import HybridTiming
from convsim_core.scenario import builtin_scenario
from convsim_core.timing import NoDelay

MODES = ("ws-mux", "ws-conn", "webhook")
NATURAL_ENDS = frozenset(
    {
        TerminationReason.CLOSING_PHRASE,
        TerminationReason.OUTCOME_REACHED,
        TerminationReason.PARTICIPANT_FINISHED,
    }
)
"""Ways a chat ends by itself; anything else (a timeout, an error, a limit) is a failure here."""

# -- the bot's side of the ledger ------------------------------------------------------------------


class RecordingTurns(TurnEngine):
    """A :class:`TurnEngine` that also keeps, per session, every text received and delivered."""

    def __init__(self, engine: TurnEngine) -> None:
        super().__init__(
            engine.brain,
            reply_delay=engine.reply_delay,
            drop_after=engine.drop_after,
            garbage_every=engine.garbage_every,
            slow_seconds=engine.slow_seconds,
            burst=engine.burst,
        )
        self.heard: defaultdict[str, list[str]] = defaultdict(list)
        self.said: defaultdict[str, list[str]] = defaultdict(list)

    async def run(
        self, session_id: str, text: str, deliver: Deliver, hooks: TurnHooks = NO_HOOKS
    ) -> None:
        self.heard[session_id].append(text)  # every protocol calls run() once per message

        async def recorded(reply: str, final: bool) -> None:
            await deliver(reply, final)
            self.said[session_id].append(reply)  # only once it is on the wire

        await super().run(session_id, text, recorded, hooks)

    def snapshot(self) -> dict[str, Any]:
        """The ledger as plain JSON data (what ``GET /stats`` answers)."""
        return {
            "received": dict(self.received),
            "heard": dict(self.heard),
            "said": dict(self.said),
            "replies_sent": self.replies_sent,
            "cpu_seconds": time.process_time(),
        }


def recording_bot(**options: Any) -> tuple[DemoBotServer, RecordingTurns]:
    """A demo bot whose turns are recorded; ``options`` go to :class:`DemoBotServer`."""
    bot = DemoBotServer(**options)
    turns = RecordingTurns(bot.turns)
    bot.turns = turns  # the endpoints look ``turns`` up per message
    return bot, turns


async def _serve(ports: Any) -> None:
    bot, turns = recording_bot()

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(turns.snapshot())

    app = web.Application()
    app.router.add_get("/stats", stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    await bot.start()
    ports.put((bot.port, int(runner.addresses[0][1])))
    await asyncio.Event().wait()


def _bot_process(ports: Any) -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_serve(ports))


# -- the customer's side ---------------------------------------------------------------------------


class Tap(Channel):
    """Lends one runner a shared channel and notes the id of the session the runner opened."""

    def __init__(self, inner: Channel) -> None:
        self.inner = inner
        self.session_id: str | None = None

    async def create_session(self) -> Session:
        session = await self.inner.create_session()
        if isinstance(session, InboxSession):
            self.session_id = session.session_id
        return session

    async def close(self) -> None:
        """Nothing: the shared channel is closed by whoever made it."""


@attrs.frozen
class Difference:
    """One direction of one session: texts sent but never seen, and texts seen more often than
    sent."""

    lost: int = 0
    duplicated: int = 0

    @classmethod
    def between(cls, sent: Sequence[str], got: Sequence[str]) -> Difference:
        want, have = Counter(sent), Counter(got)
        return cls(sum((want - have).values()), sum((have - want).values()))

    def __add__(self, other: Difference) -> Difference:
        return Difference(self.lost + other.lost, self.duplicated + other.duplicated)


@attrs.frozen
class Audit:
    """Messages compared per session: customer -> bot, and bot -> customer's conversation."""

    customer: Difference = Difference()
    """What the customer sent against what the bot heard."""
    agent: Difference = Difference()
    """What the bot said against what reached the customer's conversation."""
    reordered: int = 0
    """Sessions whose messages all arrived, but not in the order sent."""
    count_mismatches: int = 0
    """Sessions where the bot's own ``received`` counter disagrees with the texts it heard."""
    unmatched: int = 0
    """Conversations with no session id, or whose session the bot never heard of."""

    @property
    def clean(self) -> bool:
        return self == Audit()

    def __add__(self, other: Audit) -> Audit:
        """Totals over several rounds."""
        return Audit(
            self.customer + other.customer,
            self.agent + other.agent,
            self.reordered + other.reordered,
            self.count_mismatches + other.count_mismatches,
            self.unmatched + other.unmatched,
        )


def audit(
    runs: Iterable[tuple[str | None, ConversationResult]],
    bot: Mapping[str, Any],
) -> Audit:
    """Compare each conversation with the bot's ledger (a :meth:`RecordingTurns.snapshot`)."""
    customer = agent = Difference()
    reordered = count_mismatches = unmatched = 0
    heard, said, received = bot["heard"], bot["said"], bot["received"]
    for session_id, result in runs:
        if session_id is None or session_id not in received:
            unmatched += 1
            continue
        messages = result.conversation.messages
        ours = [m.content for m in messages if m.sender is ParticipantRole.CUSTOMER]
        theirs = [m.content for m in messages if m.sender is ParticipantRole.AGENT]
        bot_heard, bot_said = heard.get(session_id, []), said.get(session_id, [])
        customer += Difference.between(ours, bot_heard)
        agent += Difference.between(bot_said, theirs)
        in_order = ours == bot_heard and theirs == bot_said
        same = Counter(ours) == Counter(bot_heard) and Counter(theirs) == Counter(bot_said)
        reordered += same and not in_order
        count_mismatches += received[session_id] != len(bot_heard)
    return Audit(customer, agent, reordered, count_mismatches, unmatched)


def reply_latencies(result: ConversationResult) -> list[float]:
    """Seconds from each customer message to the agent's first message after it."""
    latencies: list[float] = []
    asked_at = None
    for message in result.conversation.messages:
        if message.sender is ParticipantRole.CUSTOMER:
            asked_at = message.timestamp
        elif asked_at is not None:
            latencies.append((message.timestamp - asked_at).total_seconds())
            asked_at = None
    return latencies


def natural_end(result: ConversationResult) -> bool:
    """Ended by itself, with an outcome, and without an error."""
    return (
        result.error is None
        and result.termination_reason in NATURAL_ENDS
        and result.conversation.outcome is not None
    )


def demo_profile(mode: str, base_url: str) -> BotProfile:
    """How each mode reaches the demo bot serving at ``base_url`` (``http://host:port``)."""
    ws_url = "ws" + base_url.removeprefix("http") + "/ws"
    if mode == "ws-mux":
        return profile_for_url(ws_url, kind="ws", preset="demo-ws")
    if mode == "ws-conn":
        base = {"websocket": {"session_mode": "connection"}}
        return profile_for_url(ws_url, kind="ws", preset="demo-ws", base=base)
    if mode == "webhook":
        return profile_for_url(base_url + "/webhook", kind="webhook", preset="generic-json")
    raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")


def bench_timing(settle: float, timeout: float) -> HybridTiming:
    return HybridTiming(
        settle_seconds=settle,
        typing_delay=NoDelay(),
        response_timeout=timeout,
        inactivity_timeout=timeout,
        max_wall_time=max(60.0, timeout * 6),
    )


async def run_conversations(
    channel: Channel, count: int, timing: HybridTiming
) -> list[tuple[str | None, ConversationResult]]:
    """``count`` demo conversations at once over ``channel``, each with its own seed."""
    scenario = builtin_scenario("demo")
    taps = [Tap(channel) for _ in range(count)]
    runners = [
        build_hybrid_runner(scenario, tap, seed=seed, use_llm=False, timing=timing)
        for seed, tap in enumerate(taps)
    ]
    results = await asyncio.gather(*(runner.run() for runner in runners))
    return [(tap.session_id, result) for tap, result in zip(taps, results, strict=True)]


# -- the benchmark --------------------------------------------------------------------------------


@attrs.frozen
class Round:
    """One mode's conversations, run once."""

    wall_s: float
    client_cpu_s: float
    bot_cpu_s: float
    results: list[ConversationResult]
    audit: Audit


async def bench_round(
    mode: str,
    base_url: str,
    stats: Callable[[], Awaitable[dict[str, Any]]],
    count: int,
    timing: HybridTiming,
) -> Round:
    channel = make_channel(demo_profile(mode, base_url))
    before = await stats()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        runs = await run_conversations(channel, count, timing)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await channel.close()
    await asyncio.sleep(0.2)  # let the bot finish anything still in flight before auditing
    after = await stats()
    return Round(
        wall_s=wall,
        client_cpu_s=cpu,
        bot_cpu_s=after["cpu_seconds"] - before["cpu_seconds"],
        results=[result for _, result in runs],
        audit=audit(runs, after),
    )


async def bench(
    ports: tuple[int, int], modes: Sequence[str], count: int, rounds: int, timing: HybridTiming
) -> dict[str, list[Round]]:
    """Every mode once per round, modes taking turns, so a burst of load hits them alike."""
    base_url = f"http://127.0.0.1:{ports[0]}"
    figures: dict[str, list[Round]] = {mode: [] for mode in modes}
    async with aiohttp.ClientSession() as http:

        async def stats() -> dict[str, Any]:
            async with http.get(f"http://127.0.0.1:{ports[1]}/stats") as response:
                data: dict[str, Any] = await response.json()
                return data

        for mode in modes:  # warm up code paths, imports and the bot
            await bench_round(mode, base_url, stats, 10, timing)
        for _ in range(rounds):
            for mode in modes:
                figures[mode].append(await bench_round(mode, base_url, stats, count, timing))
    return figures


def _percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _report(mode: str, rounds: list[Round], settle: float) -> bool:
    """Print one mode's figures: the median round's speed, every round's messages; True if clean."""
    median = sorted(rounds, key=lambda r: r.wall_s)[len(rounds) // 2]
    count = len(median.results)
    messages = sum(len(r.conversation.messages) for r in median.results)
    results = [result for r in rounds for result in r.results]
    lat_ms = [x * 1000 for result in median.results for x in reply_latencies(result)]
    durations = [result.duration_seconds for result in median.results]
    # The customer waits `settle` before each reply: a floor no client can beat.
    floor = statistics.median(
        settle * (sum(m.sender is ParticipantRole.CUSTOMER for m in r.conversation.messages) - 1)
        for r in median.results
    )
    walls = " / ".join(f"{r.wall_s:.2f}" for r in rounds)
    print(f"{mode}: {count} concurrent conversations x {len(rounds)} round(s)")
    print(
        f"  wall {median.wall_s:.2f} s (median; rounds {walls} s)"
        f"   {count / median.wall_s:.0f} conversations/s"
        f"   {messages / median.wall_s:.0f} messages/s ({messages} messages)"
    )
    print(
        f"  CPU: client {median.client_cpu_s:.2f} s ({median.client_cpu_s / median.wall_s:.0%}"
        f" of a core), bot {median.bot_cpu_s:.2f} s ({median.bot_cpu_s / median.wall_s:.0%})"
    )
    print(
        f"  first agent reply after a customer message: p50 {_percentile(lat_ms, 0.5):.0f} ms,"
        f" p95 {_percentile(lat_ms, 0.95):.0f} ms, max {max(lat_ms, default=0):.0f} ms;"
        f" conversation p50 {statistics.median(durations):.2f} s, max {max(durations):.2f} s"
        f" (settle floor {floor:.2f} s)"
    )
    outcomes = Counter(
        r.conversation.outcome.name if r.conversation.outcome else "-" for r in results
    )
    reasons = Counter(str(r.termination_reason) for r in results)
    natural = sum(natural_end(r) for r in results)
    print(f"  outcomes (all rounds): {dict(outcomes.most_common())}")
    print(f"  termination reasons (all rounds): {dict(reasons.most_common())}")
    print(f"  ended naturally with an outcome: {natural}/{len(results)}")
    total = sum((r.audit for r in rounds), Audit())
    print(
        f"  customer->bot lost {total.customer.lost}, duplicated {total.customer.duplicated};"
        f" bot->customer lost {total.agent.lost}, duplicated {total.agent.duplicated};"
        f" reordered sessions {total.reordered}; counter mismatches {total.count_mismatches};"
        f" unmatched {total.unmatched}"
    )
    for error, times in Counter(r.error for r in results if r.error).most_common(5):
        print(f"  error x{times}: {error}")
    return total.clean and natural == len(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200, help="concurrent conversations")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the median is reported)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"subset of {','.join(MODES)}")
    parser.add_argument("--settle", type=float, default=0.05, help="settle seconds (0.05)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="response and inactivity timeout (10 s)"
    )
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for mode in modes:
        if mode not in MODES:
            parser.error(f"unknown mode {mode!r}; expected some of {', '.join(MODES)}")
    logging.basicConfig(level=logging.WARNING)
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    bot = context.Process(target=_bot_process, args=(ports,), daemon=True)
    bot.start()
    load_before = os.getloadavg()
    try:
        timing = bench_timing(args.settle, args.timeout)
        figures = asyncio.run(
            bench(ports.get(timeout=30), modes, args.conversations, args.rounds, timing)
        )
    finally:
        bot.terminate()
        bot.join()
    load_after = os.getloadavg()
    print(
        f"hybrid: builtin demo scenario, offline customer, settle {args.settle:g} s, no typing"
        f" delay, timeouts {args.timeout:g} s; demo bot in its own process; {os.cpu_count()} CPUs"
    )
    print(
        "load average (1/5/15 min): before "
        + " ".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + " ".join(f"{x:.2f}" for x in load_after)
    )
    ok = True
    for mode, rounds in figures.items():
        ok &= _report(mode, rounds, args.settle)
    verdict = "met" if ok else "NOT met"
    print(f"target (nothing lost or duplicated, every chat ends by itself): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
