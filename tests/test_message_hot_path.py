"""The per-message shortcuts (issue 14) give exactly what the plain code gives.

Transcript timestamps are byte-identical to ``datetime.isoformat``, so every reader reads old
and new transcripts alike; messages filled without attrs' ``__init__`` are ordinary frozen
``Message`` objects checked the same way; ``round`` and the quick judge and termination
answers agree with what they stand in for.
"""

from __future__ import annotations

import json
import random
import weakref
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from convsim_core import (
    FullSimulationRunner,
    KeywordJudge,
    Message,
    MessageDraft,
    Outcome,
    Outcomes,
    ParticipantRole,
    RunnerServices,
)
from convsim_core.isotime import isoformat
from convsim_core.judging import NullJudge, OutcomeJudge
from convsim_core.models import Conversation, Judgement, text_message
from convsim_core.offline.scripted import ScriptedParticipant
from convsim_core.persistence import message_line, read_transcript
from convsim_core.serialization import to_json
from convsim_core.termination import (
    AnyOf,
    ClosingPhrases,
    OutcomeReached,
    TerminationStrategy,
    TurnState,
)
from convsim_core.timing import NoDelay, _round_ms

AGENT, CUSTOMER = ParticipantRole.AGENT, ParticipantRole.CUSTOMER
ZONES = (
    None,
    UTC,
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=-3)),
    timezone(timedelta(seconds=-3601, microseconds=5)),
    ZoneInfo("Europe/Paris"),
)


class _Later(datetime):
    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return "a subclass formats itself"


def test_isoformat_is_datetime_isoformat_byte_for_byte() -> None:
    rng = random.Random(14)
    for _ in range(20_000):
        moment = datetime(1, 1, 1) + timedelta(microseconds=rng.randrange(315_537_897_599_999_999))
        micro = rng.choice((0, 1, 999, 1000, 999_000, 999_999, moment.microsecond))
        moment = moment.replace(microsecond=micro, tzinfo=rng.choice(ZONES))
        for _ in range(3):  # the same day, then maybe the next one: the cached day
            assert isoformat(moment) == moment.isoformat(), moment
            if moment.year == 9999:
                break
            moment += timedelta(seconds=rng.random() * 30_000)
    edges = [datetime.max, datetime.min, datetime.max.replace(tzinfo=UTC)]
    edges += [
        datetime(2026, 3, 29, 1, 59, 59, tzinfo=ZoneInfo("Europe/Paris")) + timedelta(hours=1)
    ]
    for moment in edges:
        assert isoformat(moment) == moment.isoformat()
    assert isoformat(_Later(2026, 1, 1, tzinfo=UTC)) == "a subclass formats itself"


@pytest.mark.parametrize("sender", [AGENT, CUSTOMER])
@pytest.mark.parametrize("author", [None, "person"])
@pytest.mark.parametrize(
    "timestamp",
    [
        datetime(2026, 3, 1, 9, 0, 5, 120, tzinfo=UTC),
        datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 2, 0, 0, tzinfo=timezone(timedelta(hours=-7))),
        datetime(2026, 3, 1, 12, 30, 1, 500_000),
    ],
)
def test_message_lines_are_the_bytes_json_dumps_writes(
    sender: ParticipantRole, author: str | None, timestamp: datetime
) -> None:
    message = Message('say "hi"\n✨', timestamp, sender, author=author)
    expected = json.dumps(
        {**to_json(message), "index": 3}, ensure_ascii=False, separators=(",", ":")
    )
    assert message_line(3, message) == expected + "\n"


def test_a_transcript_the_earlier_writer_wrote_reads_back(tmp_path: Path) -> None:
    # Lines as convsim wrote them before the timestamp shortcut (isoformat itself).
    path = tmp_path / "old.jsonl"
    path.write_text(
        '{"schema_version":1,"type":"header","runner":"FullSimulationRunner"}\n'
        '{"schema_version":1,"type":"message","content":"Hi","timestamp":'
        '"2026-01-01T00:00:00+00:00","sender":"customer","index":0}\n'
        '{"schema_version":1,"type":"message","content":"Hello","timestamp":'
        '"2026-01-01T00:00:03.250000+00:00","sender":"agent","index":1}\n',
        encoding="utf-8",
    )
    transcript = read_transcript(path)
    assert transcript.messages == (
        Message("Hi", datetime(2026, 1, 1, tzinfo=UTC), CUSTOMER),
        Message("Hello", datetime(2026, 1, 1, 0, 0, 3, 250_000, tzinfo=UTC), AGENT),
    )
    for index, message in enumerate(transcript.messages):  # and is written back the same
        assert message_line(index, message) == path.read_text().splitlines(True)[index + 1]


def test_text_message_is_an_ordinary_frozen_message() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    message = text_message("hello", at, AGENT)
    plain = Message("hello", at, AGENT)
    assert type(message) is Message and message == plain and hash(message) == hash(plain)
    assert attrs.asdict(message) == attrs.asdict(plain)
    assert weakref.ref(message)() is message
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        message.content = "changed"  # type: ignore[misc]
    restamped = message.restamped(at + timedelta(seconds=1))
    assert type(restamped) is Message and restamped.timestamp == at + timedelta(seconds=1)
    grown = Conversation(()).with_message(message)
    assert type(grown) is Conversation and grown.messages == (message,)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        grown.outcome = None  # type: ignore[misc]


@pytest.mark.parametrize(
    "args",
    [
        (3, datetime(2026, 1, 1, tzinfo=UTC), AGENT),
        ("x", "today", AGENT),
        ("x", datetime.now(), "bot"),
    ],
)
def test_text_message_refuses_what_message_refuses_in_its_words(args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError) as plain:
        Message(*args)  # type: ignore[arg-type]
    with pytest.raises(ValueError) as quick:
        text_message(*args)  # type: ignore[arg-type]
    assert str(quick.value) == str(plain.value)


def test_round_ms_is_round_to_three_places() -> None:
    rng = random.Random(3)
    values = [rng.uniform(0, 600) for _ in range(100_000)]
    values += [k / 1000 + d for k in range(0, 20_000, 7) for d in (0.0005, -0.0005, 5e-13, -5e-13)]
    values += [0.0, 0.0004999, 2.0005, 1e11, 1e13, -1.2345, float("inf")]
    for value in values:
        assert repr(_round_ms(value)) == repr(round(value, 3)), value
    assert repr(_round_ms(float("nan"))) == "nan"


OUTCOMES = Outcomes((Outcome("resolved", "done"), Outcome("escalated", "handed over")))
LINES = [
    "Your refund has been refunded.",
    "Let me get a supervisor.",
    "Nothing to see here.",
    "Thanks, have a great day!",
    "I'll take care of that",
    "bye",
]


async def test_quick_judgements_are_what_judging_gives() -> None:
    judges: list[OutcomeJudge] = [
        KeywordJudge.from_phrases({"resolved": ["refunded"], "escalated": ["supervisor"]}),
        NullJudge(),
    ]
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for judge in judges:
        for previous in (None, Judgement(outcome=OUTCOMES.outcomes[0], message_index=0)):
            for text in LINES:
                message = Message(text, at, AGENT)
                conversation = Conversation((message,))
                quick = judge.quick(message, previous)
                judged = await judge.judge(conversation, OUTCOMES, None, previous)
                assert quick is None or quick == judged, (judge, text)
            assert judge.quick(Message(LINES[2], at, AGENT), previous) is not None


class _Counting(TerminationStrategy):
    def __init__(self) -> None:
        self.checks = 0

    async def check(self, state: TurnState) -> None:
        self.checks += 1


async def test_a_strategy_that_cannot_fire_would_not_have_fired() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    strategies: list[TerminationStrategy] = [
        ClosingPhrases(),
        ClosingPhrases(sender=CUSTOMER),
        ClosingPhrases(patterns=()),
        OutcomeReached(),
        OutcomeReached({"escalated"}),
        AnyOf((ClosingPhrases(), OutcomeReached({"resolved"}))),
    ]
    judgements = [
        None,
        Judgement(None),
        Judgement(OUTCOMES.outcomes[0]),
        Judgement(OUTCOMES.outcomes[1]),
    ]
    fired = 0
    for strategy in strategies:
        for judgement in judgements:
            for sender in (AGENT, CUSTOMER):
                for text in LINES:
                    message = Message(text, at, sender)
                    state = TurnState(Conversation((message,)), OUTCOMES, None, judgement, 20)
                    found = await strategy.check(state)
                    fired += found is not None
                    assert found is None or strategy.may_fire(message, judgement), (strategy, text)
    assert fired  # the cases above do fire somewhere
    counting = _Counting()
    assert counting.may_fire(Message("x", at, AGENT), None)  # unknown strategies: every message
    assert AnyOf((ClosingPhrases(), counting)).may_fire(Message("x", at, AGENT), None)


def _five_messages(**options: Any) -> FullSimulationRunner:
    return FullSimulationRunner(
        customer=ScriptedParticipant(CUSTOMER, ["one", "two"]),
        agent=ScriptedParticipant(AGENT, ["uno", "dos"]),
        initial_message=MessageDraft("hi", CUSTOMER),
        intent=None,
        outcomes=OUTCOMES,
        max_messages=5,
        **options,
    )


async def test_strategies_without_a_quick_answer_are_checked_after_every_message() -> None:
    counting = _Counting()
    termination = AnyOf((ClosingPhrases(), counting))
    result = await _five_messages(services=RunnerServices(termination=termination)).run()
    assert len(result.conversation.messages) == 5 and counting.checks == 5


async def test_no_typing_delay_keeps_the_clock_where_it_started() -> None:
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    result = await _five_messages(base_timestamp=start, typing_delay=NoDelay()).run()
    assert [m.timestamp for m in result.conversation.messages] == [start] * 5
