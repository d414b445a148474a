"""Connect mode's source: the scenario's simulated customer against a real bot.

With ``demo_bot=True`` the built-in demo bot is started in-process for each run (on a free
port) and the profile is pointed at it; it stops when the run ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from channels.factory import check_reachable, make_channel
from convsim_core.models import ParticipantRole
from convsim_core.persistence import TranscriptWriter
from convsim_core.takeover import SeatedParticipant
from tui.run_source import ActiveRun, Cleanup, RunHooks, RunSource, ScenarioInfo, release

if TYPE_CHECKING:
    from channels.profile import BotProfile
    from convsim_core.scenario_models import Scenario


def bot_header(profile: BotProfile, *, demo_bot: bool = False) -> dict[str, Any]:
    """What a transcript records about the bot, so ``watch --from`` and reports know the run
    was held with a bot (and which one) rather than with the offline agent."""
    return {
        "agent_kind": "real",
        "mode": "connect",
        "bot_url": profile.url,
        "bot_transport": profile.kind,
        "bot_preset": profile.preset or "",
        "demo_bot": demo_bot,
    }


class ConnectRunSource(RunSource):
    kind = "connect"
    seatable = frozenset({ParticipantRole.CUSTOMER})

    def __init__(
        self,
        scenario: Scenario,
        profile: BotProfile,
        *,
        demo_bot: bool = False,
        runs_root: Path | None = None,
        use_llm: bool | None = None,
        check: bool = True,
    ) -> None:
        super().__init__(ScenarioInfo.from_scenario(scenario))
        self.scenario = scenario
        self.profile = profile
        self.demo_bot = demo_bot
        self.runs_root = runs_root
        self.use_llm = use_llm
        self.check = check
        self.transport = self.describe_transport(profile)

    @property
    def target(self) -> str:
        return "built-in demo bot" if self.demo_bot else self.profile.url

    @staticmethod
    def describe_transport(profile: BotProfile) -> str:
        """How convsim talks to the bot, for the bot pane: ``WebSocket · demo-ws``."""
        kind = "webhook" if profile.kind == "webhook" else "WebSocket"
        return f"{kind} · {profile.preset}" if profile.preset else kind

    async def start(self, hooks: RunHooks) -> ActiveRun:
        from convsim_core.builder import default_transcript_path
        from convsim_core.hybrid_builder import build_hybrid_runner

        cleanups: list[Cleanup] = []
        profile = self.profile
        try:
            if self.demo_bot:
                profile = await self._start_demo_bot(cleanups)
            elif self.check:
                await check_reachable(profile)
            channel = make_channel(profile)
            cleanups.append(channel.close)
            path = default_transcript_path(self.scenario, hooks.seed, self.runs_root)
            runner = build_hybrid_runner(
                self.scenario,
                channel,
                seed=hooks.seed,
                transcript=TranscriptWriter(path),
                progress_callback=hooks.progress_callback,
                event_callback=hooks.event_callback,
                use_llm=self.use_llm,
                header_extra=bot_header(profile, demo_bot=self.demo_bot),
            )
            if hooks.seats is not None:  # the person may take the customer's seat
                runner.customer = SeatedParticipant(runner.customer, hooks.seats)
        except BaseException:
            await release(cleanups)
            raise
        return ActiveRun(runner, transcript_path=path, cleanups=cleanups)

    async def _start_demo_bot(self, cleanups: list[Cleanup]) -> BotProfile:
        from channels.demo_bot import DemoBotServer
        from tui.commands.connect import demo_bot_profile

        bot = DemoBotServer()
        await bot.start()
        cleanups.append(bot.stop)
        return demo_bot_profile(
            bot.url, webhook=self.profile.kind == "webhook", preset=self.profile.preset
        )
