from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from convsim_core import (
    Conversation,
    Intent,
    Judgement,
    KeywordJudge,
    KeywordRule,
    Message,
    NullJudge,
    Outcome,
    Outcomes,
    ParticipantRole,
    TerminationReason,
)
from convsim_core.pacing import ControlledPacer, NoPacing, RealTimePacing
from convsim_core.termination import (
    DEFAULT_CLOSING_PHRASES,
    AnyOf,
    ClosingPhrases,
    GoalCompletion,
    KeywordGoalChecker,
    OutcomeReached,
    TurnState,
)
from convsim_core.timing import HumanTypingDelay, NoDelay
from tests.support.timeouts import MS

T0 = datetime(2026, 3, 1, tzinfo=UTC)
A, C = ParticipantRole.AGENT, ParticipantRole.CUSTOMER
OUTCOMES = Outcomes(
    (
        Outcome("resolved", "Issue fixed"),
        Outcome("escalated", "Handed to a supervisor"),
        Outcome("abandoned", "Customer gave up"),
    )
)
CUSTOMER_INTENT = Intent(C, "Get a refund for a damaged kettle")


def convo(*lines: tuple[ParticipantRole, str]) -> Conversation:
    return Conversation(tuple(Message(text, T0, role) for role, text in lines))


def state(
    conversation: Conversation, judgement: Judgement | None = None, **kw: object
) -> TurnState:
    return TurnState(
        conversation=conversation,
        outcomes=OUTCOMES,
        intent=kw.pop("intent", CUSTOMER_INTENT),  # type: ignore[arg-type]
        judgement=judgement,
        max_messages=kw.pop("max_messages", 50),  # type: ignore[arg-type]
    )


# -- judges --------------------------------------------------------------------------------


async def test_keyword_judge_sets_outcome_on_matching_message() -> None:
    judge = KeywordJudge.from_phrases({"resolved": ["refund has been issued"]}, sender=A)
    c = convo((C, "My kettle arrived cracked"), (A, "Your refund has been issued."))
    judgement = await judge.judge(c, OUTCOMES, CUSTOMER_INTENT, None)
    assert judgement.outcome == OUTCOMES.get_outcome_by_name("resolved")
    assert judgement.message_index == 1
    assert "refund has been issued" in judgement.rationale


async def test_keyword_judge_respects_sender_and_word_boundaries() -> None:
    judge = KeywordJudge((KeywordRule("escalated", ["supervisor"], sender=A),))
    by_customer = convo((C, "Get me a supervisor now"))
    assert (await judge.judge(by_customer, OUTCOMES, None, None)).outcome is None
    partial_word = convo((A, "I am the supervisors' assistant"))
    assert (await judge.judge(partial_word, OUTCOMES, None, None)).outcome is None


async def test_keyword_judge_keeps_previous_judgement_and_later_match_wins() -> None:
    judge = KeywordJudge.from_phrases({"resolved": ["refunded"], "escalated": ["supervisor"]})
    c1 = convo((A, "I've refunded you"))
    first = await judge.judge(c1, OUTCOMES, None, None)
    c2 = c1.with_message(Message("ok thanks", T0, C))
    assert await judge.judge(c2, OUTCOMES, None, first) is first
    c3 = c2.with_message(Message("Actually a supervisor will call", T0, A))
    later = await judge.judge(c3, OUTCOMES, None, first)
    assert later.outcome is not None and later.outcome.name == "escalated"
    assert later.message_index == 2


async def test_keyword_judge_ignores_outcomes_not_in_schema() -> None:
    judge = KeywordJudge.from_phrases({"sale_completed": ["purchased"]})
    result = await judge.judge(convo((A, "You purchased it")), OUTCOMES, None, None)
    assert result.outcome is None


def test_keyword_rule_needs_phrases() -> None:
    with pytest.raises(ValueError, match="at least one phrase"):
        KeywordRule("resolved", ())


async def test_null_judge_never_decides() -> None:
    result = await NullJudge().judge(convo((A, "refunded")), OUTCOMES, None, None)
    assert result.outcome is None


# -- termination ---------------------------------------------------------------------------


async def test_closing_phrases_default_and_custom() -> None:
    bye = convo((A, "Anything else? Have a great day!"))
    found = await ClosingPhrases().check(state(bye))
    assert found is not None
    assert found.reason is TerminationReason.CLOSING_PHRASE
    assert "have a great day" in found.detail.lower()
    custom = ClosingPhrases((r"see you\s+soon",), sender=C)
    assert await custom.check(state(convo((A, "see you soon")))) is None
    assert await custom.check(state(convo((C, "See you   soon")))) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Anything else? Have a great day!",
        "HAVE A NICE DAY",
        "Thanks, goodbye.",
        "I'll take care of that refund right away.",
        "You can say goodbye to those fees.",
        "Bye for now \u2728",  # not ASCII: the regex screen
        "Merci et au revoir, have a good day",
        "Have a n\u0131ce day",  # dotless i: IGNORECASE takes it for an i, lower() does not
        "Take care of yourself!",
        "Let me check the charges on that account for you now.",
        "",
    ],
)
def test_literal_phrase_screen_finds_what_the_regex_screen_finds(text: str) -> None:
    # The default phrases (words and spaces) are screened by substring on ASCII text; a
    # pattern with regex syntax (one that never matches) sends every message through the
    # IGNORECASE regex screen instead. The two must agree on every message.
    by_regex = ClosingPhrases((*DEFAULT_CLOSING_PHRASES, "zz+qx"))
    assert ClosingPhrases().sign_off(text) == by_regex.sign_off(text)


def test_closing_phrases_bad_regex_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="invalid closing phrase pattern"):
        ClosingPhrases(("(unclosed",))


async def test_outcome_reached_only_for_terminal_outcomes() -> None:
    resolved = Judgement(OUTCOMES.get_outcome_by_name("resolved"), "x", 1)
    escalated = Judgement(OUTCOMES.get_outcome_by_name("escalated"), "x", 1)
    strategy = OutcomeReached({"escalated"})
    c = convo((A, "x"))
    assert await strategy.check(state(c, resolved)) is None
    found = await strategy.check(state(c, escalated))
    assert found is not None and found.reason is TerminationReason.OUTCOME_REACHED
    assert await OutcomeReached().check(state(c, resolved)) is not None
    assert await OutcomeReached().check(state(c, Judgement(None))) is None


async def test_goal_completion_with_keyword_checker() -> None:
    strategy = GoalCompletion(KeywordGoalChecker(("refund is on its way",)))
    done = convo((C, "kettle broke"), (A, "Your refund is on its way."))
    found = await strategy.check(state(done))
    assert found is not None and found.reason is TerminationReason.GOAL_COMPLETED
    # the customer saying it does not satisfy the customer's own goal
    assert await strategy.check(state(convo((C, "is my refund is on its way?")))) is None
    assert await strategy.check(state(done, intent=None)) is None


async def test_any_of_returns_first_that_fires() -> None:
    c = convo((A, "Goodbye"))
    strategy = AnyOf.of(
        [OutcomeReached(), ClosingPhrases(), GoalCompletion(KeywordGoalChecker(("refund",)))]
    )
    found = await strategy.check(state(c, max_messages=1))
    assert found is not None and found.reason is TerminationReason.CLOSING_PHRASE
    assert await AnyOf(()).check(state(c)) is None


# -- timing and pacing ---------------------------------------------------------------------


def test_typing_delay_is_seeded_and_grows_with_length() -> None:
    short = [HumanTypingDelay(seed=5).seconds(C, "ok", "hello") for _ in range(2)]
    assert short[0] == short[1]
    first = HumanTypingDelay(seed=5)
    second = HumanTypingDelay(seed=5)
    sequence = [first.seconds(C, "x" * n, "y") for n in (10, 200, 30)]
    assert sequence == [second.seconds(C, "x" * n, "y") for n in (10, 200, 30)]
    model = HumanTypingDelay(seed=1, think_seconds=(1.0, 1.0), jitter=0.0)
    assert model.seconds(C, "x" * 500, "") > model.seconds(C, "x" * 5, "")
    # agents type faster than customers
    assert model.seconds(A, "x" * 500, "") < model.seconds(C, "x" * 500, "")
    assert NoDelay().seconds(C, "anything", "") == 0.0


async def test_no_pacing_and_real_time_pacing() -> None:
    await NoPacing().wait(100.0)  # simulated seconds it must not wait at all: the subject
    loop = asyncio.get_running_loop()
    start = loop.time()
    simulated = 2000 * MS
    await RealTimePacing(speed=100.0).wait(simulated)
    assert loop.time() - start >= simulated / 100 * 0.75


async def test_controlled_pacer_pause_step_resume() -> None:
    pacer = ControlledPacer()
    pacer.pause()
    assert pacer.paused
    waiter = asyncio.create_task(pacer.wait(0.0))
    await asyncio.sleep(10 * MS)
    assert not waiter.done()
    pacer.step()
    await asyncio.wait_for(waiter, 1000 * MS)
    assert pacer.paused  # a step lets exactly one message through
    blocked = asyncio.create_task(pacer.wait(0.0))
    await asyncio.sleep(10 * MS)
    assert not blocked.done()
    pacer.resume()
    await asyncio.wait_for(blocked, 1000 * MS)
    await asyncio.wait_for(pacer.wait(0.0), 1000 * MS)
    assert not pacer.paused
