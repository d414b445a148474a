"""What ``convsim batch`` runs: the plan, its scenarios, the bot target, the rate limits.

Application logic, apart from the command line that builds it (``tui.commands.batch``) and the
dashboard that shows it, so later commands and tests run a batch without argparse.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from convsim_core.batch import BatchFolderError, BatchPlan, BatchSession, BatchSummary, PlannedRun
from convsim_core.batch.limits import RateLimits
from convsim_core.batch.retry import RetryPolicy
from convsim_core.persistence import TranscriptSink
from convsim_core.runners.base import Runner
from tui.batch_checks import bot_probe, check_channel_setup
from tui.wiring.bots import BotTarget, check_reachable, open_channel, start_demo_bot
from tui.wiring.errors import UserError
from tui.wiring.scale import backend_for, one_process_reason, scale_settings

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from channels.profile import BotProfile
    from convsim_core.batch.executor import RunPolicy
    from convsim_core.batch.ratelimit import BatchRateLimiter
    from convsim_core.channel import Channel
    from convsim_core.scenario_models import Scenario


@attrs.define
class BatchJob:
    """Everything ``convsim batch`` decided before running: plan, scenarios, target, limits."""

    plan: BatchPlan
    scenarios: dict[str, Scenario]
    folder: Path
    concurrency: int
    resume: bool
    target: BotTarget | None = None
    limits: RateLimits = attrs.field(factory=RateLimits)
    use_llm: bool | None = None
    channels: dict[str, Channel] = attrs.field(factory=dict)
    workers: int | None = None
    """Worker processes (Ray actors with ``ray``); None: the default (see tui.wiring.scale)."""
    ray: str | None = None
    """A Ray address ("" for Ray's default) to run on a Ray cluster; None: this machine."""
    demo_url: str | None = None
    """The demo bot this job started: worker processes talk to it rather than start their own."""
    retry_errors: bool = False
    """``--resume --retry-errors``: run again what ended in a channel or participant error."""
    profiles: dict[str, BotProfile] = attrs.field(factory=dict)
    """Scenario key -> the bot profile its conversations use (hybrid batches, while running)."""

    @property
    def mode(self) -> str:
        return "full" if self.target is None else "hybrid"

    def settings(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "bot": self.target.to_dict() if self.target else None,
            "rate_limits": self.limits.to_dict(),
            "use_llm": self.use_llm,
            **scale_settings(self),
        }

    def session(
        self,
        *,
        settings: dict[str, Any] | None = None,
        policy: RunPolicy | None = None,
        extra_runs: Callable[[BatchSession], Sequence[PlannedRun]] | None = None,
    ) -> BatchSession:
        """The batch session over this job's folder; ``convsim test`` adds its settings (the
        manifest records them), its policy and the retries it owes."""
        try:
            return BatchSession(
                self.plan,
                self.scenarios,
                self.make_runner,
                folder=self.folder,
                concurrency=self.concurrency,
                resume=self.resume,
                mode=self.mode,
                settings=self.settings() if settings is None else settings,
                policy=policy,
                extra_runs=extra_runs,
                backend=backend_for(self),
                retry_errors=self.retry_errors,
            )
        except BatchFolderError as exc:
            raise UserError(str(exc)) from exc

    async def execute(
        self, session: BatchSession, *, retry: RetryPolicy | None = None
    ) -> BatchSummary:
        """Run the prepared session inside the bot and channel setup the job needs.

        Against a bot, a channel error pauses the batch until the bot answers again and is
        retried as ``retry`` says (the default policy unless given).
        """
        self.prepare_llm_cache()
        async with self.bot_channels():
            if self.workers is None and self.ray is None:
                reason = one_process_reason(self)
                if reason is not None:
                    logger.warning(
                        "running in one process: %s"
                        " (set [bot.callback] port = 0 to use every core)",
                        reason,
                    )
            if self.target is not None:
                probe = bot_probe(self.profiles)
                session.executor.retry = attrs.evolve(retry or RetryPolicy(), probe=probe)
            return await session.run(limiter=self.limiter())

    def make_runner(
        self, scenario: Scenario, run: PlannedRun, transcript: TranscriptSink
    ) -> Runner:
        """The batch's runner factory: one fresh runner per conversation."""
        if self.target is None:
            from convsim_core.builder import build_full_runner

            return build_full_runner(
                scenario, seed=run.seed, transcript=transcript, use_llm=self.use_llm
            )
        from convsim_core.hybrid_builder import build_hybrid_runner

        return build_hybrid_runner(
            scenario,
            self.channels[run.scenario],
            seed=run.seed,
            transcript=transcript,
            use_llm=self.use_llm,
        )

    def limiter(self) -> BatchRateLimiter | None:
        if not self.limits.enabled:
            return None
        from convsim_core.batch.ratelimit import BatchRateLimiter

        return BatchRateLimiter(self.limits)

    def prepare_llm_cache(self) -> None:
        """Open the shared LLM response cache once, before many conversations race to it."""
        from convsim_core.builder import llm_available, llm_settings

        if self.use_llm is False:
            return
        for scenario in self.scenarios.values():
            if llm_available(scenario):
                from convsim_core.llm import configure_cache

                configure_cache(llm_settings(scenario))

    @contextlib.asynccontextmanager
    async def bot_channels(self, *, check: bool = True) -> AsyncIterator[None]:
        """Start the demo bot if asked, and open one channel per scenario for the batch.

        ``check=False`` skips asking the bot whether it answers: a worker process opening
        its channels when the parent has checked already (the bot may be in an outage the
        batch is waiting out; the worker must come up and wait with the others)."""
        if self.target is None:
            yield
            return
        from convsim_core.channel import ChannelError

        async with contextlib.AsyncExitStack() as stack:
            if self.target.demo_bot and self.demo_url is None:
                self.demo_url = await start_demo_bot(stack)
                stack.callback(setattr, self, "demo_url", None)
            demo_url = self.demo_url
            checked: set[str] = set()
            profiles = self.target.profiles(self.scenarios, demo_url)
            counts: dict[str, int] = {}
            for run in self.plan.planned_runs():
                counts[run.scenario] = counts.get(run.scenario, 0) + 1
            check_channel_setup(profiles, counts)
            shared: dict[BotProfile, Channel] = {}
            for key, profile in profiles.items():
                if check and profile.url not in checked:
                    checked.add(profile.url)
                    try:
                        await check_reachable(profile)
                    except ChannelError as exc:
                        raise UserError(str(exc)) from exc
                # One channel per bot profile, shared by its conversations (one session each):
                # scenarios with the same profile share it, and its callback server.
                if profile not in shared:
                    shared[profile] = await open_channel(stack, profile)
                self.channels[key] = shared[profile]
            self.profiles = profiles
            try:
                yield
            finally:
                self.channels.clear()
                self.profiles = {}
