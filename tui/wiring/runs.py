"""Build one conversation with a real bot: demo bot -> check -> channel -> runner -> transcript.

``convsim connect`` (headless and TUI) and the start screen's connect mode open their runs
here; ``convsim play`` uses :func:`hybrid_run` with its terminal channel, and batch opens its
channels through the same :mod:`tui.wiring.bots` steps. Errors are left as they are
(``ChannelError``, ``ScenarioError``): the CLI turns them into one line, the TUI into its error
panel.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from channels.where import public_url
from convsim_core.branching import apply_branch
from convsim_core.persistence import TranscriptWriter
from tui.wiring.bots import check_reachable, demo_bot_like, open_channel, start_demo_bot

if TYPE_CHECKING:
    from datetime import datetime

    from channels.profile import BotProfile
    from convsim_core.branching import Branch
    from convsim_core.channel import Channel
    from convsim_core.models import ConversationResult
    from convsim_core.pacing import Pacer
    from convsim_core.runners.base import EventCallback, ProgressCallback
    from convsim_core.runners.full import FullSimulationRunner
    from convsim_core.runners.hybrid import HybridSimulationRunner, HybridTiming
    from convsim_core.scenario_models import Scenario


@attrs.frozen
class RunWiring:
    """How to build the runner; the same for every start of a run (a new seed aside)."""

    scenario: Scenario
    seed: int
    transcript_path: Path | None
    """None: no transcript (full simulations only; a run with a real bot always keeps one)."""
    event_callback: EventCallback | None = None
    progress_callback: ProgressCallback | None = None
    use_llm: bool | None = None
    timing: HybridTiming | None = None
    header_extra: Mapping[str, Any] | None = None
    """Who the agent is, for readers of the transcript (play: a person; connect: the bot)."""
    branch: Branch | None = None
    """``--from TRANSCRIPT --at N``: the parent's first messages, recorded first."""


@attrs.define
class BotRun:
    """A built, not yet running conversation and what to release when it ends."""

    runner: HybridSimulationRunner
    profile: BotProfile
    """The profile actually reached (the demo bot's real address once it runs)."""
    transcript_path: Path
    writer: TranscriptWriter
    stack: contextlib.AsyncExitStack

    async def close(self) -> None:
        """Close the channel, then stop the demo bot (the reverse of opening)."""
        await self.stack.aclose()


def _shared(wiring: RunWiring, transcript: TranscriptWriter | None) -> dict[str, Any]:
    """What full and hybrid runners are built with alike."""
    return {
        "seed": wiring.seed,
        "transcript": transcript,
        "progress_callback": wiring.progress_callback,
        "event_callback": wiring.event_callback,
        "use_llm": wiring.use_llm,
    }


def hybrid_run(
    wiring: RunWiring, channel: Channel
) -> tuple[HybridSimulationRunner, TranscriptWriter]:
    """The scenario's customer against the agent behind ``channel``, writing a transcript."""
    from convsim_core.hybrid_builder import build_hybrid_runner

    if wiring.transcript_path is None:
        raise ValueError("a conversation with a real agent always keeps a transcript")
    writer = TranscriptWriter(wiring.transcript_path)
    runner = build_hybrid_runner(
        wiring.scenario,
        channel,
        timing=wiring.timing,
        header_extra=dict(wiring.header_extra or {}),
        **_shared(wiring, writer),
    )
    apply_branch(runner, wiring.branch)
    return runner, writer


def full_run(
    wiring: RunWiring, *, pacer: Pacer | None = None, base_timestamp: datetime | None = None
) -> tuple[FullSimulationRunner, TranscriptWriter | None]:
    """Both sides simulated (watch, demo, batch), with a transcript unless the path is None."""
    from convsim_core.builder import build_full_runner

    path = wiring.transcript_path
    writer = TranscriptWriter(path) if path is not None else None
    runner = build_full_runner(
        wiring.scenario, pacer=pacer, base_timestamp=base_timestamp, **_shared(wiring, writer)
    )
    apply_branch(runner, wiring.branch)
    return runner, writer


def bot_header(profile: BotProfile, *, demo_bot: bool = False) -> dict[str, Any]:
    """What a transcript records about the bot, so ``watch --from``, ``replay`` and reports
    know the run was held with a bot (and which one) rather than with the offline agent."""
    return {
        "agent_kind": "real",
        "mode": "connect",
        "bot_url": public_url(profile.url),  # never a password or token (replay takes options)
        "bot_transport": profile.kind,
        "bot_preset": profile.preset or "",
        "demo_bot": demo_bot,
    }


async def open_bot_run(
    wiring: RunWiring, profile: BotProfile, *, demo_bot: bool = False, check: bool = True
) -> BotRun:
    """Start the demo bot (when asked) or check the bot, open the channel, build the runner.

    With ``demo_bot`` the profile only names the kind and preset; the bot is started on a free
    port and the profile pointed at it. Anything opened is released if a later step fails.
    """
    stack = contextlib.AsyncExitStack()
    try:
        if demo_bot:
            profile = demo_bot_like(profile, await start_demo_bot(stack))
        elif check:
            await check_reachable(profile)
        channel = await open_channel(stack, profile)
        header = {**bot_header(profile, demo_bot=demo_bot), **(wiring.header_extra or {})}
        runner, writer = hybrid_run(attrs.evolve(wiring, header_extra=header), channel)
    except BaseException:
        await stack.aclose()
        raise
    return BotRun(runner, profile, writer.path, writer, stack)


def never_reached(result: ConversationResult) -> bool:
    """The run ended because the bot could not be reached at all (``cannot reach <URL>: ...``,
    every channel's wording, also for a webhook URL answering 404) before it said a word: the
    same failure as a bot the check before the run finds away (exit code 2, one line)."""
    from convsim_core.models import ParticipantRole, TerminationReason

    return (
        result.termination_reason is TerminationReason.CHANNEL_ERROR
        and (result.error or "").startswith("cannot reach ")
        and not any(m.sender is ParticipantRole.AGENT for m in result.conversation.messages)
    )
