"""The hybrid runner's issue-10 rules on an in-test channel: the last word, unreadable replies,
a welcome before the customer speaks, the header's ``bot`` entry and button presses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from convsim_core.buttons import ButtonChooser
from convsim_core.channel import ProtocolError
from convsim_core.models import Message, ParticipantRole, QuickReply, TerminationReason
from convsim_core.offline.scripted import ScriptedParticipant
from convsim_core.persistence import TranscriptWriter, read_transcript
from convsim_core.termination import ClosingPhrases
from tests.support.timeouts import MS, TIMEOUT
from tests.test_hybrid_runner import FakeChannel, FakeSession, contents, fast, make_runner, script

C, A = ParticipantRole.CUSTOMER, ParticipantRole.AGENT


async def test_the_agents_answer_to_a_goodbye_is_recorded() -> None:
    channel = FakeChannel(script([(0.0, "Anything else?")], [(100 * MS, "Bye! Have a good one.")]))
    customer = ScriptedParticipant(C, ["No, goodbye"])
    runner = make_runner(channel, customer=customer, termination=ClosingPhrases(sender=C))
    result = await asyncio.wait_for(runner.run(), TIMEOUT)
    assert result.termination_reason is TerminationReason.CLOSING_PHRASE
    assert contents(result)[-2:] == ["No, goodbye", "Bye! Have a good one."]


async def test_the_wait_for_the_last_word_is_bounded() -> None:
    channel = FakeChannel(script([(0.0, "Anything else?")]))  # silent after the goodbye
    customer = ScriptedParticipant(C, ["No, goodbye"])
    last_word = 200 * MS
    timing = fast(response_timeout=30_000 * MS, last_word_timeout=last_word)
    runner = make_runner(
        channel, customer=customer, termination=ClosingPhrases(sender=C), timing=timing
    )
    started = asyncio.get_running_loop().time()
    result = await asyncio.wait_for(runner.run(), TIMEOUT)
    assert asyncio.get_running_loop().time() - started < last_word + TIMEOUT / 2
    assert contents(result)[-1] == "No, goodbye"


class _Garbling(FakeChannel):
    """A bot whose every reply is unreadable (the channel reports a protocol error)."""

    def __init__(self, *, turn_flag: bool) -> None:
        super().__init__(lambda text, index: [])
        self.turn_flag = turn_flag

    async def create_session(self) -> FakeSession:
        session = await super().create_session()
        original = session.send

        async def send(message: Message) -> None:
            await original(message)
            session._report_protocol_error(ProtocolError("frame is not JSON", "<html>oops"))
            if self.turn_flag:
                session._report_turn_complete()

        session.send = send  # type: ignore[method-assign]
        return session


async def test_a_bot_that_was_never_understood_ends_unreadable_replies() -> None:
    runner = make_runner(_Garbling(turn_flag=False), timing=fast(response_timeout=300 * MS))
    result = await asyncio.wait_for(runner.run(), TIMEOUT)
    assert result.termination_reason is TerminationReason.UNREADABLE_REPLIES
    assert result.error is not None and "frame is not JSON" in result.error
    assert result.protocol_errors == ("<html>oops",)


async def test_an_unreadable_turn_that_is_over_ends_at_once() -> None:
    runner = make_runner(_Garbling(turn_flag=True), timing=fast(response_timeout=30_000 * MS))
    started = asyncio.get_running_loop().time()
    result = await asyncio.wait_for(runner.run(), TIMEOUT)
    assert result.termination_reason is TerminationReason.UNREADABLE_REPLIES
    assert asyncio.get_running_loop().time() - started < TIMEOUT / 2  # not the response timeout


class _Welcoming(FakeChannel):
    async def create_session(self) -> FakeSession:
        session = await super().create_session()
        session.push("Welcome! I'm the support bot.")
        return session

    def describe(self) -> dict[str, Any]:
        return {"kind": "fake", "url": "fake://bot"}


async def test_a_welcome_comes_first_and_the_header_says_where(tmp_path: Path) -> None:
    writer = TranscriptWriter(tmp_path / "t.jsonl")
    runner = make_runner(_Welcoming(), transcript=writer, timing=fast(inactivity_timeout=200 * MS))
    result = await asyncio.wait_for(runner.run(), TIMEOUT)
    assert contents(result)[:2] == [
        "Welcome! I'm the support bot.",
        "Hi, I was charged twice this month.",
    ]
    header = read_transcript(tmp_path / "t.jsonl").header
    assert header["bot"] == {"kind": "fake", "url": "fake://bot"}


class _Buttons(FakeChannel):
    def __init__(self) -> None:
        super().__init__(lambda text, index: [])
        self.offered = (QuickReply("Yes", "/affirm"), QuickReply("No", "/deny"))

    async def create_session(self) -> FakeSession:
        session = await super().create_session()
        original = session.send

        async def send(message: Message) -> None:
            await original(message)
            if len(session.sent) == 1:
                offer = Message("Refund it?", datetime.now(UTC), A, quick_replies=self.offered)
                session.inbox.put_nowait(offer)

        session.send = send  # type: ignore[method-assign]
        return session


async def test_a_reply_that_picks_a_button_is_sent_as_the_press() -> None:
    channel = _Buttons()
    customer = ScriptedParticipant(C, ["yes please"])
    runner = make_runner(
        channel,
        customer=customer,
        buttons=ButtonChooser(),
        timing=fast(inactivity_timeout=200 * MS),
    )
    result = await asyncio.wait_for(runner.run(), TIMEOUT)
    press = result.conversation.messages[2]
    assert press.sender is C and press.content == "Yes" and press.choice == channel.offered[0]
    assert channel.sessions[0].sent[1].choice == channel.offered[0]


def test_button_chooser_rules() -> None:
    chooser = ButtonChooser()
    yes, no = QuickReply("Yes", "/affirm"), QuickReply("No", "/deny")
    billing, shipping = QuickReply("Billing question", "billing"), QuickReply("Shipping", "ship")
    assert chooser.choose("Yes", [yes, no]) is yes
    assert chooser.choose("nope, not now", [yes, no]) is no
    assert chooser.choose("/deny", [yes, no]) is no  # the payload itself
    assert chooser.choose("it's about billing", [billing, shipping]) is billing
    assert chooser.choose("my email is dana@example.com", [billing, shipping]) is None
    long = "yes and also I wanted to ask about the other charge from last week"
    assert chooser.choose(long, [yes, no]) is None  # says more than a button could
    assert chooser.choose("yes", []) is None


async def test_unreadable_replies_are_blamed_on_the_wiring_not_the_simulator() -> None:
    from convsim_core.batch.attribution import Fault, attribute

    runner = make_runner(_Garbling(turn_flag=True), timing=fast(response_timeout=30_000 * MS))
    result = await asyncio.wait_for(runner.run(), TIMEOUT)
    found = attribute(result, None, result.conversation.messages, {"agent_kind": "real"})
    assert found is not None and found.fault is Fault.INFRASTRUCTURE
    assert "no bot reply could be read" in found.reason
