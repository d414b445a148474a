"""Connect mode's source: the scenario's simulated customer against a real bot.

With ``demo_bot=True`` the built-in demo bot is started in-process for each run (on a free
port) and the profile is pointed at it; it stops when the run ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from convsim_core.models import ParticipantRole
from convsim_core.takeover import SeatedParticipant
from tui.run_source import ActiveRun, RunHooks, ScenarioSource
from tui.wiring.runs import open_bot_run

if TYPE_CHECKING:
    from channels.profile import BotProfile


@attrs.define(eq=False, slots=False)
class ConnectRunSource(ScenarioSource):
    kind = "connect"
    seatable = frozenset({ParticipantRole.CUSTOMER})

    profile: BotProfile
    demo_bot: bool = attrs.field(default=False, kw_only=True)
    check: bool = attrs.field(default=True, kw_only=True)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.transport = self.describe_transport(self.profile)

    @property
    def target(self) -> str:
        from channels.where import public_url

        return "built-in demo bot" if self.demo_bot else public_url(self.profile.url)

    @staticmethod
    def describe_transport(profile: BotProfile) -> str:
        """How convsim talks to the bot, for the bot pane: ``WebSocket · demo-ws``."""
        kind = "webhook" if profile.kind == "webhook" else "WebSocket"
        return f"{kind} · {profile.preset}" if profile.preset else kind

    async def start(self, hooks: RunHooks) -> ActiveRun:
        run = await open_bot_run(
            self.wiring(hooks), self.profile, demo_bot=self.demo_bot, check=self.check
        )
        if hooks.seats is not None:  # the person may take the customer's seat
            run.runner.customer = SeatedParticipant(run.runner.customer, hooks.seats)
        return ActiveRun(run.runner, transcript_path=run.transcript_path, cleanups=[run.close])
