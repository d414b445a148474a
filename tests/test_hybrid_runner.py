"""The hybrid runner against in-test channels: timing, batching, every way a run can end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from convsim_core import (
    Channel,
    ChannelError,
    ChannelState,
    Conversation,
    Intent,
    KeywordJudge,
    Message,
    MessageDraft,
    Outcome,
    Outcomes,
    Participant,
    ParticipantRole,
    ProtocolError,
    RunnerAlreadyUsed,
    RunnerServices,
    Session,
    TerminationReason,
)
from convsim_core.events import (
    ChannelStateChanged,
    Finished,
    MessageAdded,
    ProtocolErrorSeen,
    RunnerState,
    StateChanged,
    TypingStarted,
)
from convsim_core.offline.scripted import ScriptedParticipant
from convsim_core.persistence import TranscriptWriter, read_transcript
from convsim_core.runners.hybrid import HybridSimulationRunner, HybridTiming
from convsim_core.termination import (
    AnyOf,
    ClosingPhrases,
    GoalCompletion,
    KeywordGoalChecker,
    OutcomeReached,
    Termination,
    TerminationStrategy,
    TurnState,
)
from convsim_core.timing import TypingDelay
from tests.support.timeouts import MS, TIMEOUT

A, C = ParticipantRole.AGENT, ParticipantRole.CUSTOMER
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
OUTCOMES = Outcomes(
    (
        Outcome("resolved", "Customer issue was fully resolved"),
        Outcome("escalated", "Issue was escalated to supervisor"),
    )
)
INTENT = Intent(C, "Get a refund for a double charge")
OPENING = MessageDraft("Hi, I was charged twice this month.", C)
FAST = HybridTiming(
    settle_seconds=50 * MS,
    inactivity_timeout=300 * MS,
    response_timeout=1000 * MS,
    max_wall_time=10000 * MS,
)
"""Short enough that a run ending in silence is over in a third of a second."""


def fast(**changes: Any) -> HybridTiming:
    """FAST with some settings changed: every test keeps short timeouts."""
    return attrs.evolve(FAST, **changes)


Reply = tuple[float, str]
"""(seconds after the customer's message, text)"""


# -- an in-test bot behind a channel ---------------------------------------------------------


class FakeSession(Session):
    """A bot that answers each customer message with scripted, timed replies."""

    def __init__(self, channel: FakeChannel) -> None:
        self.session_id = "fake-1"
        self.channel = channel
        self.inbox: asyncio.Queue[Message | BaseException | None] = asyncio.Queue()
        self.sent: list[Message] = []
        self.closed = 0
        self._tasks: list[asyncio.Task[None]] = []

    async def get_conversation(self) -> Conversation:
        return Conversation(messages=tuple(self.sent))

    async def send(self, message: Message) -> None:
        if self.channel.send_error is not None:
            raise self.channel.send_error
        if self.channel.send_hangs:
            await asyncio.Event().wait()
        self.sent.append(message)
        replies = self.channel.bot(message.content, len(self.sent) - 1)
        self._tasks.append(asyncio.create_task(self._deliver(replies)))

    async def _deliver(self, replies: Sequence[Reply | BaseException | None]) -> None:
        started = asyncio.get_running_loop().time()
        for item in replies:
            if isinstance(item, tuple):
                delay, text = item
                await asyncio.sleep(max(0.0, started + delay - asyncio.get_running_loop().time()))
                self.push(text)
            else:
                self.inbox.put_nowait(item)

    def push(self, text: str) -> None:
        self.inbox.put_nowait(Message(text, datetime.now(UTC), A))

    async def subscribe(self) -> AsyncIterator[Message]:
        while True:
            item = await self.inbox.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    async def close(self) -> None:
        self.closed += 1
        for task in self._tasks:
            task.cancel()


class FakeChannel(Channel):
    def __init__(
        self,
        bot: Callable[[str, int], Sequence[Reply | BaseException | None]] | None = None,
        *,
        create_error: Exception | None = None,
    ) -> None:
        self.bot = bot or (lambda text, index: [(0.0, f"agent reply {index}")])
        self.create_error = create_error
        self.send_error: Exception | None = None
        self.send_hangs = False
        self.sessions: list[FakeSession] = []

    async def create_session(self) -> FakeSession:
        if self.create_error is not None:
            raise self.create_error
        session = FakeSession(self)
        self.sessions.append(session)
        return session


def script(*turns: Sequence[Reply | BaseException | None]) -> Callable[[str, int], Any]:
    """The bot answers its n-th customer message with ``turns[n]``; silence after that."""
    return lambda text, index: turns[index] if index < len(turns) else []


async def until(condition: Callable[[], bool], seconds: float = TIMEOUT) -> None:
    """Poll a condition the code under test has no event for; fail after ``seconds``."""
    for _ in range(int(seconds / (5 * MS))):
        if condition():
            return
        await asyncio.sleep(5 * MS)
    raise AssertionError("condition not met in time")


class FixedDelay(TypingDelay):
    def __init__(self, seconds: float) -> None:
        self.value = seconds
        self.calls: list[tuple[str, str]] = []

    def seconds(self, role: ParticipantRole, reply: str, read: str) -> float:
        self.calls.append((reply, read))
        return self.value


class Echo(Participant):
    """Answers the agent's latest message and remembers every conversation it was shown."""

    role = C

    def __init__(self, limit: int = 100) -> None:
        self.seen: list[Conversation] = []
        self.limit = limit
        """Stops once the conversation holds more than this many customer messages."""

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        self.seen.append(conversation)
        if sum(m.sender is C for m in conversation.messages) > self.limit:
            return None
        last = conversation.last_message
        return self.message(f"re: {last.content}" if last else "hello?")


def make_runner(
    channel: Channel,
    *,
    customer: Participant | None = None,
    initial: MessageDraft | None = OPENING,
    timing: HybridTiming = FAST,
    termination: TerminationStrategy | None = None,
    judge: KeywordJudge | None = None,
    max_messages: int = 100,
    transcript: TranscriptWriter | None = None,
    events: list[object] | None = None,
    progress: list[dict[str, Any]] | None = None,
    intent: Intent | None = INTENT,
    base_timestamp: datetime | None = None,
    **kwargs: Any,
) -> HybridSimulationRunner:
    services = RunnerServices(
        judge=judge or KeywordJudge.from_phrases({"resolved": ["refunded"]}),
        termination=termination or AnyOf(()),
        seed=3,
        event_callback=events.append if events is not None else None,
    )
    if transcript is not None:
        services.transcript = transcript
    return HybridSimulationRunner(
        customer or ScriptedParticipant(C, ["It's dana@example.com.", "Thanks!"]),
        channel,
        initial,
        intent,
        OUTCOMES,
        max_messages,
        base_timestamp,
        (lambda conv, p: progress.append(p)) if progress is not None else None,
        services=services,
        timing=timing,
        **kwargs,
    )


def contents(result_or_conv: Any) -> list[str]:
    conversation = getattr(result_or_conv, "conversation", result_or_conv)
    return [m.content for m in conversation.messages]


def senders(result: Any) -> list[ParticipantRole]:
    return [m.sender for m in result.conversation.messages]


# -- ordering and timing -----------------------------------------------------------------------


async def test_alternating_conversation_in_real_time() -> None:
    channel = FakeChannel(
        script(
            [(0.0, "Sorry! What's your email?")],
            [(0.0, "I've refunded the duplicate charge.")],
            [(0.0, "You're welcome. Have a great day!")],
        )
    )
    before = datetime.now(UTC)
    result = await make_runner(channel, termination=ClosingPhrases(sender=A)).run()
    after = datetime.now(UTC)
    assert contents(result) == [
        OPENING.content,
        "Sorry! What's your email?",
        "It's dana@example.com.",
        "I've refunded the duplicate charge.",
        "Thanks!",
        "You're welcome. Have a great day!",
    ]
    assert senders(result) == [C, A, C, A, C, A]
    assert result.termination_reason is TerminationReason.CLOSING_PHRASE
    assert result.termination_detail == 'agent said "Have a great day"'
    assert result.conversation.outcome == OUTCOMES.get_outcome_by_name("resolved")
    stamps = [m.timestamp for m in result.conversation.messages]
    assert all(s.tzinfo is UTC for s in stamps)
    assert before <= stamps[0] and stamps[-1] <= after
    assert stamps == sorted(stamps)
    # each customer answer waited for the agent to settle
    assert (stamps[2] - stamps[1]).total_seconds() >= FAST.settle_seconds * 0.9
    session = channel.sessions[0]
    assert [m.content for m in session.sent] == [
        OPENING.content,
        "It's dana@example.com.",
        "Thanks!",
    ]
    assert session.closed == 1
    assert result.error is None


async def test_a_burst_of_agent_messages_is_answered_once() -> None:
    burst = [(0.0, "Hi!"), (20 * MS, "I'm the billing assistant."), (40 * MS, "How can I help?")]
    channel = FakeChannel(script(burst, [(0.0, "Done, refunded.")]))
    customer = Echo(limit=2)
    timing = fast(settle_seconds=150 * MS, response_timeout=2000 * MS)
    result = await make_runner(channel, customer=customer, timing=timing).run()
    assert senders(result)[:5] == [C, A, A, A, C]
    assert contents(result)[4] == "re: How can I help?"
    # the customer was asked once for the whole burst, and saw all three messages
    assert contents(customer.seen[0])[1:] == [m for _, m in burst]
    assert [m.content for m in channel.sessions[0].sent][1] == "re: How can I help?"


async def test_typing_delay_reads_every_unanswered_message() -> None:
    burst = [(0.0, "one"), (10 * MS, "two")]
    delay = FixedDelay(10 * MS)
    channel = FakeChannel(script(burst))
    timing = fast(settle_seconds=50 * MS, typing_delay=delay, response_timeout=300 * MS)
    events: list[object] = []
    await make_runner(channel, customer=Echo(), timing=timing, events=events).run()
    assert delay.calls[0] == ("re: two", "one\ntwo")
    assert TypingStarted(C) in events


async def test_agent_message_during_typing_is_kept_and_answered() -> None:
    # The customer starts typing after the first reply has settled (0.05 s) and types for
    # 0.4 s; the second reply lands in the middle of that.
    channel = FakeChannel(script([(0.0, "Let me check."), (200 * MS, "Found it: charged twice.")]))
    customer = Echo(limit=1)
    events: list[object] = []
    timing = fast(
        settle_seconds=50 * MS, typing_delay=FixedDelay(400 * MS), response_timeout=2000 * MS
    )
    runner = make_runner(channel, customer=customer, timing=timing, events=events)
    result = await runner.run()
    assert contents(result)[:4] == [
        OPENING.content,
        "Let me check.",
        "Found it: charged twice.",
        "re: Found it: charged twice.",
    ]
    # the stale draft ("re: Let me check.") never went out
    sent = [m.content for m in channel.sessions[0].sent]
    assert sent == [OPENING.content, "re: Found it: charged twice."]
    # the agent message was recorded the moment it arrived, before the customer's reply
    added = [e.message.content for e in events if isinstance(e, MessageAdded)]
    assert added.index("Found it: charged twice.") < added.index("re: Found it: charged twice.")
    assert sum(1 for e in events if e == TypingStarted(C)) >= 2
    # first draft written after "Let me check.", the rewrite with both agent messages in view
    assert [contents(seen)[-1] for seen in customer.seen] == [
        "Let me check.",
        "Found it: charged twice.",
    ]


async def test_turn_complete_signal_ends_the_settle_wait_early() -> None:
    class Flagging(FakeChannel):
        async def create_session(self) -> FakeSession:
            session = await super().create_session()
            original = session.push

            def push(text: str) -> None:
                original(text)
                if text.endswith("?"):
                    session._report_turn_complete()

            session.push = push  # type: ignore[method-assign]
            return session

    channel = Flagging(script([(0.0, "Hello."), (10 * MS, "What's up?")], [(0.0, "Bye now")]))
    timing = fast(settle_seconds=5000 * MS, response_timeout=2000 * MS)
    start = asyncio.get_running_loop().time()
    result = await make_runner(
        channel, customer=Echo(), timing=timing, termination=ClosingPhrases(("bye now",))
    ).run()
    assert asyncio.get_running_loop().time() - start < 2000 * MS
    assert contents(result) == [
        OPENING.content,
        "Hello.",
        "What's up?",
        "re: What's up?",
        "Bye now",
    ]


async def test_customer_opens_when_there_is_no_initial_message() -> None:
    channel = FakeChannel(script([(0.0, "Hi, how can I help?")]))
    customer = Echo(limit=0)
    result = await make_runner(channel, customer=customer, initial=None).run()
    assert contents(result) == ["hello?", "Hi, how can I help?"]
    assert senders(result) == [C, A]
    assert customer.seen[0].messages == ()
    assert result.termination_reason is TerminationReason.PARTICIPANT_FINISHED


async def test_agent_opens_when_the_initial_message_is_the_agents() -> None:
    class Greeter(FakeChannel):
        async def create_session(self) -> FakeSession:
            session = await super().create_session()
            session.push("Welcome to Acme! How can I help?")
            return session

    channel = Greeter(script([(0.0, "Refunded!")]))
    customer = ScriptedParticipant(C, ["I was charged twice.", "Thanks"])
    draft = MessageDraft("scripted greeting, never sent", A)
    result = await make_runner(channel, customer=customer, initial=draft, max_messages=3).run()
    assert contents(result) == [
        "Welcome to Acme! How can I help?",
        "I was charged twice.",
        "Refunded!",
    ]
    assert result.termination_reason is TerminationReason.MAX_MESSAGES


# -- every way a run ends ----------------------------------------------------------------------


async def test_agent_that_never_answers_is_an_agent_timeout() -> None:
    channel = FakeChannel(script())
    timing = fast(settle_seconds=50 * MS, response_timeout=200 * MS, inactivity_timeout=5000 * MS)
    start = asyncio.get_running_loop().time()
    result = await make_runner(channel, timing=timing).run()
    assert 150 * MS < asyncio.get_running_loop().time() - start < 2000 * MS
    assert result.termination_reason is TerminationReason.AGENT_TIMEOUT
    assert result.termination_detail == f"the agent did not answer within {200 * MS:g} s"
    assert contents(result) == [OPENING.content]


async def test_agent_that_never_opens_is_an_agent_timeout() -> None:
    timing = fast(response_timeout=100 * MS)
    draft = MessageDraft("Hello, how can I help?", A)
    result = await make_runner(FakeChannel(), initial=draft, timing=timing).run()
    assert result.termination_reason is TerminationReason.AGENT_TIMEOUT
    assert result.termination_detail == (
        f"the agent did not open the conversation within {100 * MS:g} s"
    )
    assert result.conversation.messages == ()


async def test_send_that_hangs_is_an_agent_timeout_with_the_message_kept() -> None:
    channel = FakeChannel()
    channel.send_hangs = True  # a synchronous webhook whose bot never answers the POST
    timing = fast(response_timeout=150 * MS)
    result = await make_runner(channel, timing=timing).run()
    assert result.termination_reason is TerminationReason.AGENT_TIMEOUT
    assert contents(result) == [OPENING.content]


async def test_quiet_after_the_agent_had_answered_is_inactivity() -> None:
    channel = FakeChannel(script([(0.0, "What's your email?")]))
    timing = fast(settle_seconds=50 * MS, response_timeout=100 * MS, inactivity_timeout=300 * MS)
    start = asyncio.get_running_loop().time()
    result = await make_runner(channel, timing=timing).run()
    waited = asyncio.get_running_loop().time() - start
    assert result.termination_reason is TerminationReason.INACTIVITY_TIMEOUT
    assert result.termination_detail == (
        f"the conversation went quiet: no agent message for {300 * MS:g} s"
    )
    assert contents(result) == [OPENING.content, "What's your email?", "It's dana@example.com."]
    assert waited >= 0.3  # not the shorter response timeout: the agent had answered


async def test_max_wall_time_caps_a_chat_that_never_ends() -> None:
    channel = FakeChannel(lambda text, index: [(0.0, f"Tell me more ({index})")])
    timing = fast(settle_seconds=20 * MS, max_wall_time=400 * MS)
    start = asyncio.get_running_loop().time()
    result = await make_runner(channel, customer=Echo(), timing=timing).run()
    assert asyncio.get_running_loop().time() - start < 2000 * MS
    assert result.termination_reason is TerminationReason.MAX_WALL_TIME
    assert result.termination_detail == (
        f"the conversation reached the {400 * MS:g} s wall-time limit"
    )
    assert len(result.conversation.messages) > 4
    assert channel.sessions[0].closed == 1


async def test_max_messages_counts_both_sides() -> None:
    channel = FakeChannel(lambda text, index: [(0.0, "a"), (0.0, "b")])
    result = await make_runner(channel, customer=Echo(), max_messages=6).run()
    assert senders(result) == [C, A, A, C, A, A]
    assert result.termination_reason is TerminationReason.MAX_MESSAGES


async def test_customer_closing_phrase_ends_after_it_is_sent() -> None:
    channel = FakeChannel(script([(0.0, "Anything else?")]))
    customer = ScriptedParticipant(C, ["No, goodbye!"])
    result = await make_runner(channel, customer=customer, termination=ClosingPhrases()).run()
    assert result.termination_reason is TerminationReason.CLOSING_PHRASE
    assert channel.sessions[0].sent[-1].content == "No, goodbye!"


async def test_outcome_reached_ends_the_run() -> None:
    channel = FakeChannel(
        script([(0.0, "Email?")], [(0.0, "I've refunded you."), (10 * MS, "More?")])
    )
    result = await make_runner(channel, termination=OutcomeReached({"resolved"})).run()
    assert result.termination_reason is TerminationReason.OUTCOME_REACHED
    assert result.termination_detail == "outcome 'resolved' reached"
    assert contents(result)[-1] == "I've refunded you."
    assert result.judgement is not None and result.judgement.message_index == 3


async def test_goal_completion_ends_the_run() -> None:
    channel = FakeChannel(script([(0.0, "The duplicate charge is refunded.")]))
    checker = KeywordGoalChecker(("refunded",))
    result = await make_runner(channel, termination=GoalCompletion(checker)).run()
    assert result.termination_reason is TerminationReason.GOAL_COMPLETED


async def test_customer_with_nothing_left_to_say_finishes() -> None:
    channel = FakeChannel(lambda text, index: [(0.0, "ok")])
    result = await make_runner(channel).run()
    assert result.termination_reason is TerminationReason.PARTICIPANT_FINISHED
    assert result.termination_detail == "the customer finished"
    assert senders(result) == [C, A, C, A, C, A]


async def test_agent_hanging_up_finishes_the_conversation() -> None:
    channel = FakeChannel(script([(0.0, "We are closed, bye."), None]))
    result = await make_runner(channel).run()
    assert result.termination_reason is TerminationReason.PARTICIPANT_FINISHED
    assert result.termination_detail == "agent ended the conversation"
    assert contents(result) == [OPENING.content, "We are closed, bye."]


async def test_connection_lost_mid_run_keeps_the_transcript(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    lost = ChannelError("connection to ws://127.0.0.1:9/ws lost: reconnect failed 3 times")
    channel = FakeChannel(script([(0.0, "What's your email?")], [(50 * MS, "one sec"), lost]))
    events: list[object] = []
    result = await make_runner(channel, transcript=TranscriptWriter(path), events=events).run()
    assert result.termination_reason is TerminationReason.CHANNEL_ERROR
    assert result.error == str(lost)
    assert contents(result) == [
        OPENING.content,
        "What's your email?",
        "It's dana@example.com.",
        "one sec",
    ]
    saved = read_transcript(path)
    assert not saved.partial
    assert saved.messages == result.conversation.messages
    assert saved.result is not None
    assert saved.result.termination_reason is TerminationReason.CHANNEL_ERROR
    assert ChannelStateChanged(ChannelState.FAILED, str(lost)) in events
    assert StateChanged(RunnerState.ERROR, str(lost)) in events
    assert channel.sessions[0].closed == 1


async def test_unreachable_agent_is_a_channel_error_with_a_result_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    channel = FakeChannel(create_error=ChannelError("cannot reach ws://127.0.0.1:9/ws: refused"))
    result = await make_runner(channel, transcript=TranscriptWriter(path)).run()
    assert result.termination_reason is TerminationReason.CHANNEL_ERROR
    assert result.error == "cannot reach ws://127.0.0.1:9/ws: refused"
    assert result.conversation.messages == ()
    saved = read_transcript(path)
    assert saved.result is not None and saved.result.error == result.error


async def test_failing_send_is_a_channel_error_and_unexpected_errors_are_wrapped() -> None:
    channel = FakeChannel()
    channel.send_error = ChannelError("the bot answered HTTP 500")
    result = await make_runner(channel).run()
    assert result.termination_reason is TerminationReason.CHANNEL_ERROR
    assert result.error == "the bot answered HTTP 500"
    assert result.conversation.messages == ()  # never reached the agent

    channel = FakeChannel(create_error=OSError("no route to host"))
    result = await make_runner(channel).run()
    assert result.termination_reason is TerminationReason.CHANNEL_ERROR
    assert result.error == "could not open a session: OSError: no route to host"


async def test_subscribe_bug_is_a_channel_error() -> None:
    channel = FakeChannel(script([(0.0, "hi"), KeyError("text")]))
    result = await make_runner(channel).run()
    assert result.termination_reason is TerminationReason.CHANNEL_ERROR
    assert result.error == "the channel failed: KeyError: 'text'"


class Exploding(Participant):
    role = C

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        raise ConnectionError("model endpoint went away")


async def test_customer_crash_is_recorded_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    channel = FakeChannel(script([(0.0, "How can I help?")]))
    runner = make_runner(channel, customer=Exploding(), transcript=TranscriptWriter(path))
    result = await runner.run()
    assert result.termination_reason is TerminationReason.PARTICIPANT_ERROR
    assert result.termination_detail == "the customer participant failed"
    assert result.error == "ConnectionError: model endpoint went away"
    assert runner.state is RunnerState.ERROR
    assert read_transcript(path).result == result
    assert channel.sessions[0].closed == 1


async def test_customer_speaking_for_the_agent_is_a_participant_error() -> None:
    class Impostor(Participant):
        role = C

        async def get_next_message(self, conversation: Conversation) -> Message | None:
            return Message("I speak for the agent", T0, A)

    result = await make_runner(FakeChannel(), customer=Impostor()).run()
    assert result.termination_reason is TerminationReason.PARTICIPANT_ERROR
    assert result.error is not None and "customer participant returned" in result.error


async def test_failing_termination_strategy_does_not_escape_run() -> None:
    class Broken(TerminationStrategy):
        async def check(self, state: TurnState) -> Termination | None:
            raise RuntimeError("bad regex")

    result = await make_runner(FakeChannel(), termination=Broken()).run()
    assert result.termination_reason is TerminationReason.PARTICIPANT_ERROR
    assert result.error == "RuntimeError: bad regex"


async def test_cancellation_is_stopped_with_the_result_line_written(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    channel = FakeChannel(script([(0.0, "What's your email?")]))
    timing = fast(
        settle_seconds=50 * MS, response_timeout=30000 * MS, inactivity_timeout=30000 * MS
    )
    runner = make_runner(channel, transcript=TranscriptWriter(path), timing=timing)
    task = asyncio.create_task(runner.run())
    await until(lambda: len(runner.conversation.messages) >= 3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    saved = read_transcript(path)
    assert saved.result is not None
    assert saved.result.termination_reason is TerminationReason.STOPPED
    assert len(saved.messages) == 3
    assert runner.is_complete
    assert channel.sessions[0].closed == 1


async def test_cancellation_while_the_customer_types_stops_the_typing() -> None:
    channel = FakeChannel(script([(0.0, "Hi")]))
    timing = fast(settle_seconds=10 * MS, typing_delay=FixedDelay(30000 * MS))
    events: list[object] = []
    runner = make_runner(channel, timing=timing, events=events)
    task = asyncio.create_task(runner.run())
    await until(lambda: TypingStarted(C) in events)
    assert runner.get_progress()["customer_typing"] is True
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert runner.get_progress()["customer_typing"] is False
    assert isinstance(events[-1], Finished)
    assert events[-1].result.termination_reason is TerminationReason.STOPPED
    pending = [t for t in asyncio.all_tasks() if t.get_name().startswith("convsim-hybrid")]
    assert not [t for t in pending if not t.done()]


async def test_runner_is_single_use() -> None:
    runner = make_runner(FakeChannel(script()), timing=fast(response_timeout=50 * MS))
    await runner.run()
    with pytest.raises(RunnerAlreadyUsed):
        await runner.run()


def test_timing_and_limits_are_validated() -> None:
    # The numbers are what validation refuses, not waits: plain on purpose.
    with pytest.raises(ValueError, match="settle_seconds"):
        HybridTiming(settle_seconds=-1)
    with pytest.raises(ValueError, match="response_timeout"):
        HybridTiming(response_timeout=0)
    assert HybridTiming(max_wall_time=None).max_wall_time is None
    with pytest.raises(ValueError, match="max_messages"):
        make_runner(FakeChannel(), max_messages=0)


# -- intent, progress and events ---------------------------------------------------------------


async def test_intent_is_inferred_when_the_scenario_has_none() -> None:
    shown: list[Conversation] = []

    async def infer(conversation: Conversation) -> str:
        shown.append(conversation)
        return "  Get a refund for a double charge \n"

    channel = FakeChannel(script([(0.0, "Refunded.")]))
    quiet = ScriptedParticipant(C, [])
    result = await make_runner(channel, customer=quiet, intent=None, intent_inferer=infer).run()
    assert result.inferred_intent == "Get a refund for a double charge"
    assert shown == [result.conversation]

    # with an intent there is nothing to infer
    shown.clear()
    channel = FakeChannel(script([(0.0, "Refunded.")]))
    result = await make_runner(channel, customer=quiet, intent=INTENT, intent_inferer=infer).run()
    assert result.inferred_intent is None and not shown


async def test_failing_intent_inference_does_not_fail_the_run() -> None:
    async def infer(conversation: Conversation) -> str:
        raise TimeoutError("LLM timed out")

    channel = FakeChannel(script([(0.0, "Refunded.")]))
    quiet = ScriptedParticipant(C, [])
    result = await make_runner(channel, customer=quiet, intent=None, intent_inferer=infer).run()
    assert result.inferred_intent is None
    assert result.termination_reason is TerminationReason.PARTICIPANT_FINISHED
    assert result.error is None


async def test_progress_events_channel_state_and_protocol_errors() -> None:
    class Noisy(FakeChannel):
        async def create_session(self) -> FakeSession:
            session = await super().create_session()
            session._report_state(ChannelState.CONNECTED, "ws://bot")  # nobody listens yet
            return session

    channel = Noisy(script([(0.0, "Hello")]))
    events: list[object] = []
    progress: list[dict[str, Any]] = []
    runner = make_runner(
        channel,
        customer=ScriptedParticipant(C, []),
        events=events,
        progress=progress,
    )
    assert runner.get_progress()["channel_state"] is None
    task = asyncio.create_task(runner.run())
    await until(lambda: bool(channel.sessions and runner.conversation.messages))
    session = channel.sessions[0]
    session._report_protocol_error(ProtocolError("not JSON", excerpt="{oops"))
    session._report_state(ChannelState.RECONNECTING, "connection dropped")
    session._report_state(ChannelState.CONNECTED, "")
    assert runner.get_progress()["channel_state"] == "connected"
    result = await task

    assert result.protocol_errors == ("{oops",)
    assert ProtocolErrorSeen("{oops") in events
    states = [(e.state, e.detail) for e in events if isinstance(e, ChannelStateChanged)]
    assert states == [
        (ChannelState.CONNECTING, ""),
        (ChannelState.CONNECTED, ""),  # reported before the runner hooked in: its own
        (ChannelState.RECONNECTING, "connection dropped"),
        (ChannelState.CONNECTED, ""),
        (ChannelState.CLOSED, ""),
    ]
    assert events[0] == StateChanged(RunnerState.RUNNING)
    assert isinstance(events[-1], Finished) and events[-1].result == result
    assert [e.index for e in events if isinstance(e, MessageAdded)] == [0, 1]
    assert [p["message_count"] for p in progress] == [1, 2, 2]
    last = progress[-1]
    assert last["channel_state"] == "closed"
    assert last["is_complete"] is True
    assert last["termination_reason"] == "participant_finished"
    assert last["protocol_errors"] == 1
    assert {"elapsed_seconds", "max_messages", "outcome", "state"} <= set(last)
    assert runner.get_progress()["state"] == "done"


async def test_transcript_header_names_the_runner(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    channel = FakeChannel(script([(0.0, "Refunded.")]))
    result = await make_runner(channel, transcript=TranscriptWriter(path)).run()
    saved = read_transcript(path)
    assert saved.header["runner"] == "HybridSimulationRunner"
    assert saved.messages == result.conversation.messages
    assert saved.result == result


async def test_base_timestamp_offsets_real_elapsed_time() -> None:
    channel = FakeChannel(script([(100 * MS, "Refunded.")]))
    result = await make_runner(channel, base_timestamp=T0).run()
    first, second = result.conversation.messages[:2]
    assert T0 <= first.timestamp < second.timestamp
    assert 80 * MS < (second.timestamp - first.timestamp).total_seconds() < 1000 * MS
