"""The hybrid runner keeps its turn rules end to end (tests/test_turns.py has them on a clock).

Two rules that once broke without a test failing, checked through a whole run:

- the agent speaking just as the customer's draft is ready makes the draft stale;
- agent messages never get a timestamp before the message recorded ahead of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs

from convsim_core.models import Conversation, Message
from convsim_core.participant import Participant
from convsim_core.runners.hybrid import HybridSimulationRunner
from tests.support.timeouts import MS
from tests.test_hybrid_runner import (
    OPENING,
    C,
    FakeChannel,
    contents,
    fast,
    make_runner,
    script,
)


class SpeaksOverTheAgent(Participant):
    """Its first reply is ready at the very moment the agent says one more thing.

    The agent's message is pushed into the session while the draft is being handed back, so
    the runner finds the draft first and the agent's message queued right behind it.
    """

    role = C

    def __init__(self, channel: FakeChannel) -> None:
        self.channel = channel
        self.seen: list[Conversation] = []

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        self.seen.append(conversation)
        if len(self.seen) == 1:
            self.channel.sessions[0].push("One more thing: which order?")
            return self.message("stale: thanks!")
        if len(self.seen) == 2:
            return self.message("order 1234")
        return None


async def test_a_draft_ready_as_the_agent_speaks_is_rewritten_not_sent() -> None:
    channel = FakeChannel(script([(0.0, "Let me look.")], [(0.0, "Found it.")]))
    customer = SpeaksOverTheAgent(channel)
    runner = make_runner(channel, customer=customer, timing=fast(response_timeout=2000 * MS))
    result = await runner.run()
    sent = [m.content for m in channel.sessions[0].sent]
    assert "stale: thanks!" not in sent
    assert sent == [OPENING.content, "order 1234"]
    assert contents(result) == [
        OPENING.content,
        "Let me look.",
        "One more thing: which order?",
        "order 1234",
        "Found it.",
    ]
    # the rewrite was written with the agent's new message in view
    assert contents(customer.seen[1])[-1] == "One more thing: which order?"


@attrs.define
class SteppedBackClock(HybridSimulationRunner):
    """A runner whose clock steps back once (an NTP correction) just as the agent answers."""

    stamps: Iterator[datetime] = attrs.field(kw_only=True)

    def _now(self) -> datetime:
        return next(self.stamps)


async def test_an_arrival_stamped_before_the_last_message_is_kept_in_order() -> None:
    base = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
    # The customer's opening at +10 s; the agent's reply stamped at +4 s (the clock stepped
    # back); everything after moves forward again.
    stamps = iter([base + timedelta(seconds=s) for s in (10, 4, 12, 13, 14, 15, 16, 17)])
    channel = FakeChannel(script([(0.0, "Hello, how can I help?")]))
    template = make_runner(channel, timing=fast(response_timeout=2000 * MS))
    runner = SteppedBackClock(
        template.customer,
        channel,
        template.initial_message,
        template.intent,
        template.outcomes,
        template.max_messages,
        services=template.services,
        timing=template.timing,
        stamps=stamps,
    )
    result = await runner.run()
    messages = result.conversation.messages
    assert [m.content for m in messages[:2]] == [OPENING.content, "Hello, how can I help?"]
    assert messages[0].timestamp == base + timedelta(seconds=10)
    assert messages[1].timestamp == messages[0].timestamp  # clamped, not 6 s in the past
    stamps_seen = [m.timestamp for m in messages]
    assert stamps_seen == sorted(stamps_seen)
