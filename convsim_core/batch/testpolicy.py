"""The run policy of ``convsim test``: retries, ``--until-decided`` and LLM budgets.

Pure bookkeeping over results, no I/O: the batch executor asks :meth:`TestPolicy.wanted`
before it starts a queued conversation and tells :meth:`TestPolicy.finished` every result.

- A conversation the simulator or the infrastructure broke is re-run, up to ``retries`` times,
  as a fresh sample (``PlannedRun.retry``); the broken transcript stays as the record of the
  fault.
- With ``until_decided``, a scenario whose verdict the sequential rule has settled starts no
  further conversations (those in flight still finish and count).
- Once the LLM calls or tokens used by the conversations of this invocation reach a budget, no
  further conversation starts. Nothing is cut mid-way, so the folder stays resumable: what did
  not run has no transcript and ``--resume`` runs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from convsim_core.batch.attribution import Fault
from convsim_core.batch.evaluate import judge_run
from convsim_core.batch.plan import PlannedRun
from convsim_core.batch.verdict import Decision, RunVerdict, SequentialRule
from convsim_core.expectations import Expectations
from convsim_core.models import ConversationResult

RETRIED = (Fault.SIMULATOR, Fault.INFRASTRUCTURE)


@attrs.define
class Budget:
    """LLM spending allowed to one invocation; None: no limit of that kind."""

    max_llm_calls: int | None = None
    max_tokens: int | None = None
    llm_calls: int = 0
    tokens: int = 0

    def add(self, result: ConversationResult) -> None:
        self.llm_calls += result.usage.llm_calls
        self.tokens += result.usage.total_tokens

    @property
    def exhausted(self) -> str | None:
        """Which limit was reached, in the command line's words (None: within budget)."""
        if self.max_llm_calls is not None and self.llm_calls >= self.max_llm_calls:
            return f"--max-llm-calls {self.max_llm_calls} reached ({self.llm_calls} calls)"
        if self.max_tokens is not None and self.tokens >= self.max_tokens:
            return f"--max-tokens {self.max_tokens} reached ({self.tokens} tokens)"
        return None


class TestPolicy:
    __test__ = False  # not a pytest test class

    def __init__(
        self,
        expectations: Mapping[str, Expectations],
        planned: Mapping[str, int],
        *,
        retries: int = 2,
        until_decided: bool = False,
        budget: Budget | None = None,
        k: int | None = None,
        prior: Iterable[RunVerdict] = (),
        prior_scenarios: Mapping[str, str] | None = None,
    ) -> None:
        self.expectations = expectations
        self.retries = retries
        self.until_decided = until_decided
        self.budget = budget or Budget()
        self.k = k
        """``--k`` for pass^k/pass@k, recorded in the batch settings (None: the default)."""
        self.rules = {
            key: SequentialRule(expect.min_pass_rate, planned.get(key, 1))
            for key, expect in expectations.items()
        }
        self._latest: dict[str, dict[int, RunVerdict]] = {key: {} for key in expectations}
        self.not_started: dict[str, int] = dict.fromkeys(expectations, 0)
        """Per scenario: queued conversations left out because the scenario was decided."""
        self.budget_skipped = 0
        """Conversations left out because a budget ran out (``--resume`` runs them)."""
        self.retried = 0
        by_run = prior_scenarios or {}
        for verdict in prior:
            key = by_run.get(verdict.run_id)
            if key is not None and key in self._latest:
                self._note(key, verdict)

    # -- state --------------------------------------------------------------------------------

    def _note(self, key: str, verdict: RunVerdict) -> None:
        latest = self._latest[key]
        previous = latest.get(verdict.run_index)
        if previous is None or verdict.attempt >= previous.attempt:
            latest[verdict.run_index] = verdict

    def counts(self, key: str) -> tuple[int, int]:
        """Counted passes and failures of scenario ``key`` so far."""
        counted = [v for v in self._latest.get(key, {}).values() if v.counted]
        passes = sum(v.passed for v in counted)
        return passes, len(counted) - passes

    def decision(self, key: str) -> Decision | None:
        rule = self.rules.get(key)
        return None if rule is None else rule.decide(*self.counts(key))

    def owed_retries(self, plan_runs: Sequence[PlannedRun]) -> list[PlannedRun]:
        """Retries an earlier attempt at this folder still owes (it stopped before them)."""
        owed: list[PlannedRun] = []
        for run in plan_runs:
            verdict = self._latest.get(run.scenario, {}).get(run.run_index)
            if verdict is None or verdict.fault not in RETRIED or verdict.attempt >= self.retries:
                continue
            attempt = run
            while attempt.attempt < verdict.attempt:
                attempt = attempt.retry()
            owed.append(attempt.retry())
        return owed

    # -- RunPolicy ----------------------------------------------------------------------------

    def wanted(self, run: PlannedRun) -> bool:
        if self.budget.exhausted is not None:
            self.budget_skipped += 1
            return False
        if self.until_decided and self.decision(run.scenario) is not None:
            self.not_started[run.scenario] = self.not_started.get(run.scenario, 0) + 1
            return False
        return True

    def finished(
        self, run: PlannedRun, result: ConversationResult, header: Mapping[str, Any]
    ) -> Sequence[PlannedRun]:
        self.budget.add(result)
        expect = self.expectations.get(run.scenario)
        if expect is None:
            return ()
        verdict = judge_run(
            run.run_id,
            run.run_index,
            run.attempt,
            "",
            result,
            expect,
            header={**header, **(header.get("batch") or {})},
        )
        self._note(run.scenario, verdict)
        if verdict.fault in RETRIED and run.attempt < self.retries:
            self.retried += 1
            return (run.retry(),)
        return ()
