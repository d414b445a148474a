"""From a :class:`Scenario` to runnable parts: participants, judge, termination and a runner.

Who plays a side is decided here, once, by :func:`resolve_kind`:

- ``scripted`` sides always play their script (they are the fixture of a test).
- ``use_llm=False`` (``--offline``): every other side is played offline.
- ``use_llm=True`` (``--llm``): every other side is played by the LLM; without an API key
  that is a :class:`ScenarioError`, because the user asked for it explicitly.
- ``use_llm=None`` (default): a side of ``kind = "llm"`` uses the LLM when an API key is
  configured, and otherwise falls back to the offline participant with a logged warning, so a
  scenario written for an LLM still runs on a laptop without a key.

The judge and the LLM termination checks follow the same rule. LLM parts of one conversation
share chat models and report usage into the conversation's :class:`UsageMeter`.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from convsim_core.batch.confighash import run_config_hash
from convsim_core.judging import KeywordJudge, KeywordRule, NullJudge, OutcomeJudge
from convsim_core.models import ParticipantRole
from convsim_core.offline.agent import OfflineAgent
from convsim_core.offline.customer import OfflineCustomer
from convsim_core.offline.scripted import ScriptedParticipant
from convsim_core.offline_judge import OfflineJudge, OutcomeWords
from convsim_core.pacing import NoPacing, Pacer
from convsim_core.participant import Participant
from convsim_core.persistence import TranscriptSink
from convsim_core.runners.base import EventCallback, ProgressCallback, RunnerServices
from convsim_core.runners.full import FullSimulationRunner
from convsim_core.scenario_models import Scenario
from convsim_core.scenario_reader import ScenarioError
from convsim_core.termination import (
    AnyOf,
    ClosingPhrases,
    GoalChecker,
    GoalCompletion,
    KeywordGoalChecker,
    OutcomeReached,
    TerminationStrategy,
)
from convsim_core.usage import UsageMeter

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from convsim_core.chats.grounding import Pool
    from convsim_core.llm.settings import LLMSettings

logger = logging.getLogger(__name__)

HOME_ENV = "CONVSIM_HOME"
"""Where transcripts go by default (``<home>/<scenario>/...``); ``./runs`` when unset."""


def llm_settings(scenario: Scenario) -> LLMSettings:
    """The scenario's ``[llm]`` settings completed from the environment."""
    return scenario.llm.with_env()


def llm_available(scenario: Scenario) -> bool:
    return llm_settings(scenario).is_configured()


def resolve_kind(scenario: Scenario, role: ParticipantRole, use_llm: bool | None = None) -> str:
    """Who really plays ``role``: "offline", "llm" or "scripted" (see the module docstring)."""
    spec = scenario.side(role)
    if spec.kind == "scripted":
        return "scripted"
    if use_llm is False:
        return "offline"
    if use_llm is True:
        _require_llm(scenario, f"{role.value}.kind")
        return "llm"
    if spec.kind == "llm":
        if llm_available(scenario):
            return "llm"
        settings = llm_settings(scenario)
        logger.warning(
            "%s: the %s is set to kind = 'llm' but %s is not set; playing it offline",
            scenario.source,
            role.value,
            settings.api_key_env,
        )
    return "offline"


def build_participant(
    scenario: Scenario,
    role: ParticipantRole,
    *,
    seed: int,
    usage: UsageMeter,
    use_llm: bool | None = None,
) -> Participant:
    """The participant that plays ``role`` (offline, scripted or LLM)."""
    return _Builder(scenario, seed=seed, usage=usage, use_llm=use_llm).participant(role)


def build_services(
    scenario: Scenario,
    *,
    seed: int,
    usage: UsageMeter,
    transcript: TranscriptSink | None = None,
    event_callback: EventCallback | None = None,
    header: dict[str, Any] | None = None,
    use_llm: bool | None = None,
) -> RunnerServices:
    """Judge, termination, transcript and header for one conversation of ``scenario``."""
    return _Builder(scenario, seed=seed, usage=usage, use_llm=use_llm).services(
        transcript=transcript, event_callback=event_callback, header=header
    )


def build_full_runner(
    scenario: Scenario,
    *,
    seed: int | None = None,
    base_timestamp: datetime | None = None,
    transcript: TranscriptSink | None = None,
    progress_callback: ProgressCallback | None = None,
    event_callback: EventCallback | None = None,
    pacer: Pacer | None = None,
    use_llm: bool | None = None,
) -> FullSimulationRunner:
    """A single-use runner for one simulated conversation (seed defaults to the scenario's)."""
    seed = scenario.seed if seed is None else seed
    builder = _Builder(scenario, seed=seed, usage=UsageMeter(), use_llm=use_llm)
    services = builder.services(transcript=transcript, event_callback=event_callback)
    return FullSimulationRunner(
        customer=builder.participant(ParticipantRole.CUSTOMER),
        agent=builder.participant(ParticipantRole.AGENT),
        initial_message=scenario.initial_message,
        intent=scenario.intent,
        outcomes=scenario.outcomes,
        max_messages=scenario.max_messages,
        base_timestamp=base_timestamp,
        progress_callback=progress_callback,
        services=services,
        pacer=pacer or NoPacing(),
    )


def default_transcript_path(
    scenario: Scenario, seed: int, root: Path | None = None, *, now: datetime | None = None
) -> Path:
    """``<root>/<scenario>/<UTC timestamp>-seed<seed>.jsonl``; root: $CONVSIM_HOME or ./runs."""
    if root is None:
        root = Path(os.environ.get(HOME_ENV) or "runs")
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return root / scenario.name / f"{stamp}-seed{seed}.jsonl"


def scenario_header(scenario: Scenario, seed: int) -> dict[str, Any]:
    """What a transcript needs to say so the run can be repeated."""
    return {
        "scenario": scenario.name,
        "scenario_title": scenario.title,
        "scenario_path": str(scenario.path) if scenario.path else None,
        "seed": seed,
    }


class _Builder:
    """Builds the parts of one conversation, sharing chat models between them."""

    def __init__(
        self, scenario: Scenario, *, seed: int, usage: UsageMeter, use_llm: bool | None
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.usage = usage
        self.use_llm = use_llm
        self._models: dict[tuple[float | None, LLMSettings | None], BaseChatModel] = {}
        self._kinds: dict[ParticipantRole, str] = {}

    def kind(self, role: ParticipantRole) -> str:
        """Resolved once per role, so a fallback warning is logged once."""
        if role not in self._kinds:
            self._kinds[role] = resolve_kind(self.scenario, role, self.use_llm)
        return self._kinds[role]

    # -- participants -----------------------------------------------------------------------

    def participant(self, role: ParticipantRole) -> Participant:
        scenario = self.scenario
        spec = scenario.side(role)
        kind = self.kind(role)
        if kind == "scripted":
            initial = scenario.initial_message
            opening = initial.content if initial is not None and initial.sender is role else None
            return ScriptedParticipant(role, spec.turns, opening=opening)
        pool = self._pool() if role is ParticipantRole.CUSTOMER else None
        if kind == "llm":
            return self._llm_participant(scenario, role, spec, pool)
        if role is ParticipantRole.CUSTOMER:
            first = scenario.initial_message
            problem = first.content if first.sender is ParticipantRole.CUSTOMER else ""
            if not problem and scenario.intent is not None:
                problem = scenario.intent.description
            rules = spec.customer_rules
            if pool is not None:
                from convsim_core.chats.grounding import grounded_rules, phrasings

                rules = grounded_rules(rules, phrasings(pool, self._pool_query()))
            return OfflineCustomer(rules, facts=spec.facts, problem=problem, seed=self.seed)
        return OfflineAgent(spec.agent_rules, facts=spec.facts, seed=self.seed)

    # -- services ---------------------------------------------------------------------------

    def services(
        self,
        *,
        transcript: TranscriptSink | None = None,
        event_callback: EventCallback | None = None,
        header: dict[str, Any] | None = None,
    ) -> RunnerServices:
        judge, judge_kind = self._judge()
        termination = self._termination()
        full_header = {
            **scenario_header(self.scenario, self.seed),
            "customer_kind": self.kind(ParticipantRole.CUSTOMER),
            "agent_kind": self.kind(ParticipantRole.AGENT),
            "judge": judge_kind,
        }
        if self._models or "llm" in self._kinds.values():
            full_header["llm_model"] = llm_settings(self.scenario).model
        full_header["config_hash"] = run_config_hash(self.scenario, self.use_llm)
        pool = self._pool()
        if pool is not None:
            full_header["grounding"] = pool.header()
        full_header.update(header or {})
        return RunnerServices(
            judge=judge,
            termination=termination,
            transcript=transcript or TranscriptSink(),
            usage=self.usage,
            event_callback=event_callback,
            seed=self.seed,
            header=full_header,
        )

    def _judge(self) -> tuple[OutcomeJudge, str]:
        spec = self.scenario.judge
        if spec.kind == "llm" and self._llm_for("judge.kind"):
            from convsim_core.llm import LLMOutcomeJudge

            model = self._model(temperature=0.0, settings=spec.llm)
            return LLMOutcomeJudge(
                model,
                usage=self.usage,
                every_n_messages=spec.every_n_messages,
                min_messages=spec.min_messages,
            ), "llm"
        if spec.kind == "none":
            return NullJudge(), "none"
        if spec.kind == "keyword":
            rules = tuple(
                KeywordRule(k.outcome, k.phrases, k.said_by) for k in spec.keywords if k.phrases
            )
            return (KeywordJudge(rules), "keyword") if rules else (NullJudge(), "none")
        words = tuple(OutcomeWords(k.outcome, k.phrases, k.said_by) for k in spec.keywords)
        return OfflineJudge(words), "offline"

    def _termination(self) -> TerminationStrategy:
        spec = self.scenario.termination
        strategies: list[TerminationStrategy] = []
        if spec.terminal_outcomes:
            strategies.append(OutcomeReached(frozenset(spec.terminal_outcomes)))
        if spec.closing_phrases:
            sender = None if spec.closing_by == "either" else ParticipantRole(spec.closing_by)
            strategies.append(ClosingPhrases(spec.closing_phrases, sender))
        if spec.goal_completion:
            strategies.append(GoalCompletion(self._goal_checker()))
        if spec.llm_completion and self._llm_for("termination.llm_completion"):
            from convsim_core.llm import LLMCompletionCheck

            strategies.append(LLMCompletionCheck(self._model(temperature=0.0), usage=self.usage))
        return AnyOf(tuple(strategies))

    def _goal_checker(self) -> GoalChecker:
        spec = self.scenario.termination
        if spec.goal_phrases:
            return KeywordGoalChecker(spec.goal_phrases)
        if self._llm_for("termination.goal_completion"):
            from convsim_core.llm import LLMGoalChecker

            return LLMGoalChecker(self._model(temperature=0.0), usage=self.usage)
        # Offline: the intent counts as met when the agent says what satisfies the customer.
        return KeywordGoalChecker(self.scenario.customer.customer_rules.satisfied_when)

    # -- real chats -------------------------------------------------------------------------

    def _pool_query(self) -> str:
        intent = self.scenario.intent
        return " ".join(
            part
            for part in (
                intent.description if intent else "",
                self.scenario.initial_message.content,
            )
            if part
        )

    def _llm_participant(
        self, scenario: Scenario, role: ParticipantRole, spec: Any, pool: Any
    ) -> Participant:
        """An LLM side; a customer with a pool of real chats is grounded in examples from it."""
        from convsim_core.llm import LLMParticipant

        common: dict[str, Any] = {
            "persona": spec.persona or f"A {role.value} in a customer-service chat.",
            "intents": scenario.intents_of(role),
            "facts": spec.facts,
            "usage": self.usage,
            "instructions": spec.instructions,
        }
        if pool is None:
            return LLMParticipant(role, self._model(), **common)
        from convsim_core.chats.grounding import ExampleFinder, retriever_for
        from convsim_core.chats.llm_customer import GroundedLLMCustomer

        assert spec.rag is not None
        finder = ExampleFinder(
            pool, retriever_for(spec.rag, llm_settings(scenario)), self._pool_query()
        )
        return GroundedLLMCustomer(role, self._model(), finder=finder, **common)

    def _pool(self) -> Pool | None:
        """The real chats the customer draws on; None without ``rag`` or for a script."""
        spec = self.scenario.customer.rag
        if spec is None or self.kind(ParticipantRole.CUSTOMER) == "scripted":
            return None
        from convsim_core.chats.grounding import cached_pool
        from convsim_core.chats.library import ChatLibraryError

        try:
            return cached_pool(spec, self._pool_query())
        except ChatLibraryError as exc:  # a missing or broken library: the scenario's problem
            raise ScenarioError(self.scenario.source, "customer.rag.library", str(exc)) from None

    # -- LLM plumbing -----------------------------------------------------------------------

    def _llm_for(self, key: str) -> bool:
        """Whether an LLM part asked for at ``key`` can run; warns or fails when it cannot."""
        if self.use_llm is False:
            return False
        if llm_available(self.scenario):
            return True
        if self.use_llm is True:
            _require_llm(self.scenario, key)
        logger.warning(
            "%s: %s needs an LLM but %s is not set; using the offline fallback",
            self.scenario.source,
            key,
            llm_settings(self.scenario).api_key_env,
        )
        return False

    def _model(
        self, *, temperature: float | None = None, settings: LLMSettings | None = None
    ) -> BaseChatModel:
        """A chat model; ``settings`` (``[judge.llm]``) overrides the scenario's ``[llm]``."""
        key = (temperature, settings)
        model = self._models.get(key)
        if model is None:
            from convsim_core.llm import configure_cache, make_chat_model

            resolved = settings.with_env() if settings else llm_settings(self.scenario)
            if not self._models:
                configure_cache(resolved)
            model = make_chat_model(resolved, temperature=temperature, seed=self.seed)
            self._models[key] = model
        return model


def _require_llm(scenario: Scenario, key: str) -> None:
    if not llm_available(scenario):
        settings = llm_settings(scenario)
        raise ScenarioError(
            scenario.source,
            key,
            f"an LLM was requested but {settings.api_key_env} is not set"
            " (set it, optionally with OPENAI_BASE_URL, or run offline)",
        )
