"""From a scenario and a channel to a :class:`HybridSimulationRunner`.

The customer, judge and termination rules come from :mod:`convsim_core.builder`, so a scenario
plays the same customer against a real bot as against the simulated agent; the real-time
settings come from the scenario's ``[termination]`` table. The channel is the caller's: it is
created, and closed, by whoever knows which bot to reach (the CLI, the TUI).
"""

from __future__ import annotations

from typing import Any

import attrs

from convsim_core.builder import (
    build_participant,
    build_services,
    llm_available,
    llm_settings,
)
from convsim_core.buttons import ButtonChooser
from convsim_core.channel import Channel
from convsim_core.models import Conversation, ParticipantRole
from convsim_core.persistence import TranscriptSink
from convsim_core.runners.base import EventCallback, ProgressCallback
from convsim_core.runners.hybrid import HybridSimulationRunner, HybridTiming, IntentInferer
from convsim_core.scenario_models import Scenario
from convsim_core.timing import HumanTypingDelay, NoDelay, TypingDelay
from convsim_core.usage import UsageMeter

__all__ = [
    "MAX_TYPING_SECONDS",
    "TYPING_SCALE",
    "ScaledTypingDelay",
    "build_hybrid_runner",
    "hybrid_timing",
]

TYPING_SCALE = 0.2
"""Share of a human's reading, thinking and typing time the simulated customer really waits.

A person needs 15-30 s for a two-line reply; a test run waiting that long per message is too
slow to use, while a few seconds still exercises a bot's handling of a customer who takes time.
"""
MAX_TYPING_SECONDS = 8.0
"""No reply waits longer than this, whatever its length."""


@attrs.define
class ScaledTypingDelay(TypingDelay):
    """Another delay model sped up by ``factor`` and capped at ``cap`` seconds."""

    inner: TypingDelay
    factor: float = TYPING_SCALE
    cap: float | None = MAX_TYPING_SECONDS

    def seconds(self, role: ParticipantRole, reply: str, read: str) -> float:
        value = self.inner.seconds(role, reply, read) * self.factor
        return min(value, self.cap) if self.cap is not None else value


def hybrid_timing(scenario: Scenario, *, seed: int) -> HybridTiming:
    """The scenario's real-time settings; a limit of 0 means none."""
    spec = scenario.termination
    delay: TypingDelay = (
        ScaledTypingDelay(HumanTypingDelay(seed=seed)) if spec.typing_delay else NoDelay()
    )
    return HybridTiming(
        settle_seconds=spec.settle_seconds,
        typing_delay=delay,
        inactivity_timeout=spec.inactivity_timeout or None,
        response_timeout=spec.response_timeout or None,
        max_wall_time=spec.max_wall_time or None,
    )


def build_hybrid_runner(
    scenario: Scenario,
    channel: Channel,
    *,
    seed: int | None = None,
    use_llm: bool | None = None,
    transcript: TranscriptSink | None = None,
    header_extra: dict[str, Any] | None = None,
    progress_callback: ProgressCallback | None = None,
    event_callback: EventCallback | None = None,
    timing: HybridTiming | None = None,
) -> HybridSimulationRunner:
    """A single-use runner: the scenario's customer against the agent behind ``channel``.

    The options, by what they set: how the customer is played (``seed``, ``use_llm``), what
    is written (``transcript``, and ``header_extra``: who the agent is, for readers of the
    transcript; play mode records ``agent_kind = "person"``, connect the bot's URL and
    transport), who is told (the callbacks), and the real-time ``timing``.
    """
    seed = scenario.seed if seed is None else seed
    usage = UsageMeter()
    header: dict[str, Any] = {"agent_kind": "real", "channel": type(channel).__name__}
    header.update(header_extra or {})
    services = build_services(
        scenario,
        seed=seed,
        usage=usage,
        transcript=transcript,
        event_callback=event_callback,
        header=header,
        use_llm=use_llm,
    )
    customer = build_participant(
        scenario, ParticipantRole.CUSTOMER, seed=seed, usage=usage, use_llm=use_llm
    )
    inferer = None
    if scenario.intent is None:
        inferer = _intent_inferer(scenario, seed=seed, usage=usage, use_llm=use_llm)
    return HybridSimulationRunner(
        customer,
        channel,
        scenario.initial_message,
        scenario.intent,
        scenario.outcomes,
        scenario.max_messages,
        None,
        progress_callback,
        services=services,
        timing=timing or hybrid_timing(scenario, seed=seed),
        intent_inferer=inferer,
        buttons=ButtonChooser(),
    )


def _intent_inferer(
    scenario: Scenario, *, seed: int, usage: UsageMeter, use_llm: bool | None
) -> IntentInferer | None:
    """An LLM intent reader when an LLM is configured (and allowed); offline there is none."""
    if use_llm is False or not llm_available(scenario):
        return None

    async def infer(conversation: Conversation) -> str:
        # Imported and built on first use: most runs have an intent and never need a model.
        from convsim_core.llm import configure_cache, infer_intent, make_chat_model

        settings = llm_settings(scenario)
        configure_cache(settings)
        model = make_chat_model(settings, temperature=0.0, seed=seed)
        return await infer_intent(model, conversation, usage=usage)

    return infer
