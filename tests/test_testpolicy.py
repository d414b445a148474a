"""The run policy of ``convsim test`` on its own (no I/O): retries, decisions, budgets."""

from __future__ import annotations

from datetime import UTC, datetime

from convsim_core.batch.attribution import Fault
from convsim_core.batch.plan import BatchPlan, ScenarioEntry
from convsim_core.batch.testpolicy import Budget, TestPolicy
from convsim_core.batch.verdict import RunVerdict
from convsim_core.expectations import Expectations
from convsim_core.models import (
    Conversation,
    ConversationResult,
    Message,
    Outcome,
    ParticipantRole,
    TerminationReason,
    Usage,
)

EXPECT = {"s": Expectations(passing=("refunded",), min_pass_rate=0.5)}
PLAN = BatchPlan((ScenarioEntry("s", "s.toml", 1),), 20)
RUNS = PLAN.planned_runs()
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def _result(outcome: str | None, *, error: str | None = None, calls: int = 0) -> ConversationResult:
    messages = (
        Message("Hi, it arrived broken.", STAMP, ParticipantRole.CUSTOMER),
        Message("Sorry about that.", STAMP, ParticipantRole.AGENT),
    )
    reason = TerminationReason.CHANNEL_ERROR if error else TerminationReason.CLOSING_PHRASE
    return ConversationResult(
        conversation=Conversation(messages, Outcome(outcome, "") if outcome else None),
        termination_reason=reason,
        error=error,
        usage=Usage(llm_calls=calls, prompt_tokens=10 * calls),
    )


def test_infrastructure_faults_are_retried_up_to_the_limit() -> None:
    policy = TestPolicy(EXPECT, {"s": 20}, retries=2)
    broken = _result(None, error="ChannelError: connection refused")
    first = policy.finished(RUNS[0], broken, {})
    assert [r.run_id for r in first] == ["s-0000-retry1"]
    second = policy.finished(first[0], broken, {})
    assert [r.run_id for r in second] == ["s-0000-retry2"]
    assert second[0].seed != first[0].seed != RUNS[0].seed
    assert policy.finished(second[0], broken, {}) == ()
    assert policy.counts("s") == (0, 0)  # faults are not counted
    assert policy.finished(RUNS[1], _result("refunded"), {}) == ()
    assert policy.counts("s") == (1, 0)


def test_until_decided_leaves_out_the_rest_once_decided() -> None:
    policy = TestPolicy(EXPECT, {"s": 20}, until_decided=True)
    for run in RUNS[:8]:
        assert policy.wanted(run)
        policy.finished(run, _result("refunded"), {})
    assert policy.decision("s") is not None
    assert not policy.wanted(RUNS[8])
    assert policy.not_started == {"s": 1}


def test_a_budget_stops_new_conversations_and_says_which() -> None:
    policy = TestPolicy(EXPECT, {"s": 20}, budget=Budget(max_llm_calls=5))
    policy.finished(RUNS[0], _result("refunded", calls=3), {})
    assert policy.wanted(RUNS[1]) and policy.budget.exhausted is None
    policy.finished(RUNS[1], _result("refunded", calls=3), {})
    assert not policy.wanted(RUNS[2])
    assert policy.budget.exhausted == "--max-llm-calls 5 reached (6 calls)"
    assert policy.budget_skipped == 1
    tokens = Budget(max_tokens=25)
    tokens.add(_result(None, calls=3))
    assert tokens.exhausted == "--max-tokens 25 reached (30 tokens)"


def test_a_resumed_policy_owes_the_retries_an_earlier_attempt_did_not_run() -> None:
    retry1 = RUNS[0].retry()
    prior = [
        RunVerdict(RUNS[0].run_id, 0, 0, "p", None, False, Fault.INFRASTRUCTURE),
        RunVerdict(retry1.run_id, 0, 1, "p", None, False, Fault.SIMULATOR),
        RunVerdict(RUNS[1].run_id, 1, 0, "p", "refunded", True),
        RunVerdict(RUNS[2].run_id, 2, 0, "p", None, False, Fault.AGENT),
    ]
    policy = TestPolicy(
        EXPECT,
        {"s": 20},
        retries=2,
        prior=prior,
        prior_scenarios={v.run_id: "s" for v in prior},
    )
    owed = policy.owed_retries(RUNS[:3])
    assert [(r.run_id, r.attempt) for r in owed] == [("s-0000-retry2", 2)]
    assert owed[0] == retry1.retry()
    assert policy.counts("s") == (1, 1)
