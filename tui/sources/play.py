"""Play mode's source: the person is the agent, behind a :class:`TerminalChannel`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from channels.terminal import TerminalChannel, TerminalSession
from tui.run_source import ActiveRun, RunHooks, ScenarioSource
from tui.wiring.runs import hybrid_run

if TYPE_CHECKING:
    from convsim_core.runners.hybrid import HybridTiming
    from convsim_core.scenario_models import Scenario

PERSON_TIMEOUT = 900.0
"""A person reads, thinks and types: the bot timeouts of a scenario are far too short."""
PERSON_WALL_TIME = 3 * 3600.0


def person_timing(scenario: Scenario, *, seed: int) -> HybridTiming:
    """The scenario's real-time settings with timeouts long enough for a person at the keys."""
    from convsim_core.hybrid_builder import hybrid_timing

    timing = hybrid_timing(scenario, seed=seed)

    def longer(value: float | None, floor: float) -> float | None:
        return None if value is None else max(value, floor)

    return attrs.evolve(
        timing,
        inactivity_timeout=longer(timing.inactivity_timeout, PERSON_TIMEOUT),
        response_timeout=longer(timing.response_timeout, PERSON_TIMEOUT),
        max_wall_time=longer(timing.max_wall_time, PERSON_WALL_TIME),
    )


class PlayRunSource(ScenarioSource):
    kind = "play"

    async def start(self, hooks: RunHooks) -> ActiveRun:
        channel = TerminalChannel()
        timing = person_timing(self.scenario, seed=hooks.seed)
        wiring = attrs.evolve(
            self.wiring(hooks, timing=timing),
            header_extra={"agent_kind": "person", "mode": "play"},
        )
        runner, writer = hybrid_run(wiring, channel)
        path = writer.path

        def session() -> TerminalSession | None:
            return channel.sessions[-1] if channel.sessions else None

        return ActiveRun(
            runner, transcript_path=path, session_getter=session, cleanups=[channel.close]
        )
