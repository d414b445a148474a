"""What a live view runs: a source builds one fresh runner per run (runners are single-use).

The live view (``LiveRun``) only knows this interface, so watch, play and connect differ in
their source, and tests or snapshots hand in a prepared source with fixed participants, seed
and timestamps instead of a scenario file.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from convsim_core.branching import Branch
from convsim_core.models import Outcomes, ParticipantRole
from convsim_core.pacing import Pacer
from convsim_core.runners.base import EventCallback, ProgressCallback, Runner
from convsim_core.takeover import SeatedParticipant, Seats

if TYPE_CHECKING:
    from channels.terminal import TerminalSession
    from convsim_core.runners.hybrid import HybridTiming
    from convsim_core.scenario_models import Scenario
    from tui.wiring.runs import RunWiring


@attrs.frozen
class ScenarioInfo:
    """What the side panel and header say about the scenario being run."""

    title: str
    outcomes: Outcomes
    max_messages: int
    name: str = ""
    intent: str = ""
    customer_persona: str = ""
    agent_persona: str = ""
    description: str = ""
    agent_facts: tuple[tuple[str, str], ...] = ()
    """What the agent knows (shown to a person playing or taking over the agent)."""
    customer_facts: tuple[tuple[str, str], ...] = ()
    """What the customer knows (an order number, an email; shown to a person in its seat)."""
    judge_cues: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Per outcome, the phrases the keyword judge listens for (play mode shows them)."""
    judge_kind: str = "keyword"

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> ScenarioInfo:
        intent = scenario.intent
        return cls(
            title=scenario.title,
            outcomes=scenario.outcomes,
            max_messages=scenario.max_messages,
            name=scenario.name,
            intent=intent.description if intent else "",
            customer_persona=" ".join(scenario.customer.persona.split()),
            agent_persona=" ".join(scenario.agent.persona.split()),
            description=" ".join(scenario.description.split()),
            agent_facts=tuple((str(k), str(v)) for k, v in scenario.agent.facts.items()),
            customer_facts=tuple((str(k), str(v)) for k, v in scenario.customer.facts.items()),
            judge_cues=tuple((k.outcome, tuple(k.phrases)) for k in scenario.judge.keywords),
            judge_kind=scenario.judge.kind,
        )


@attrs.frozen
class RunHooks:
    """What the live view hands a source for one run."""

    seed: int
    event_callback: EventCallback
    progress_callback: ProgressCallback
    pacer: Pacer
    seats: Seats | None = None
    """Take-over: the seats a person may take; sources wrap their simulated sides with it."""


Cleanup = Callable[[], Awaitable[None]]


@attrs.define
class ActiveRun:
    """One started run: its runner plus whatever must be released when it ends."""

    runner: Runner
    transcript_path: Path | None = None
    session_getter: Callable[[], TerminalSession | None] | None = None
    """Play mode: the person's session, once the runner has opened it."""
    cleanups: list[Cleanup] = attrs.field(factory=list)

    @property
    def session(self) -> TerminalSession | None:
        return self.session_getter() if self.session_getter is not None else None

    async def close(self) -> None:
        await release(self.cleanups)


async def release(cleanups: list[Cleanup]) -> None:
    """Run the cleanups newest first; each one runs even when an earlier one failed."""
    errors: list[BaseException] = []
    while cleanups:
        try:
            await cleanups.pop()()
        except Exception as exc:  # keep releasing the rest, report the first failure
            errors.append(exc)
    if errors:
        raise errors[0]


class RunSource(abc.ABC):
    """Builds the runner for each (re)start of a live view."""

    kind: str = "full"
    """``full`` (watch/demo), ``play`` (the person is the agent) or ``connect`` (a bot)."""
    transport: str = ""
    """Connect: how the bot is reached (the bot pane shows it)."""
    seatable: frozenset[ParticipantRole] = frozenset()
    """The sides a person may take over (watch: both; connect: the customer)."""

    @property
    def target(self) -> str:
        """Connect: which bot (the bot pane names it); empty in the other modes."""
        return ""

    def __init__(self, info: ScenarioInfo) -> None:
        self.info = info

    @abc.abstractmethod
    async def start(self, hooks: RunHooks) -> ActiveRun:
        """A fresh, not yet running runner wired to ``hooks``."""


RunnerFactory = Callable[[RunHooks], Runner]


class PreparedRunSource(RunSource):
    """A source from a plain factory: tests, snapshots and benchmarks build their own runner."""

    def __init__(
        self,
        info: ScenarioInfo,
        factory: RunnerFactory,
        *,
        kind: str = "full",
        transcript_path: Path | None = None,
        seatable: frozenset[ParticipantRole] = frozenset(),
    ) -> None:
        super().__init__(info)
        self.factory = factory
        self.kind = kind
        self.transcript_path = transcript_path
        self.seatable = seatable

    async def start(self, hooks: RunHooks) -> ActiveRun:
        return ActiveRun(self.factory(hooks), transcript_path=self.transcript_path)


def seat_full_runner(runner: Runner, seats: Seats | None) -> Runner:
    """Let a person take either side of a full simulation (no-op without seats)."""
    from convsim_core.runners.full import FullSimulationRunner

    if seats is not None and isinstance(runner, FullSimulationRunner):
        runner.customer = SeatedParticipant(runner.customer, seats)
        runner.agent = SeatedParticipant(runner.agent, seats)
    return runner


@attrs.define(eq=False, slots=False)
class ScenarioSource(RunSource):
    """A source that runs a scenario: what every mode's source shares (watch, play, connect).

    Each mode adds its own fields (attrs), so none restates these and forwards them.
    """

    scenario: Scenario
    runs_root: Path | None = attrs.field(default=None, kw_only=True)
    use_llm: bool | None = attrs.field(default=None, kw_only=True)
    branch: Branch | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        super().__init__(ScenarioInfo.from_scenario(self.scenario))

    def wiring(
        self, hooks: RunHooks, *, transcript: bool = True, timing: HybridTiming | None = None
    ) -> RunWiring:
        """How to build this start's runner: the hooks' seed and callbacks, a fresh transcript."""
        from convsim_core.builder import default_transcript_path
        from tui.wiring.runs import RunWiring

        path = default_transcript_path(self.scenario, hooks.seed, self.runs_root)
        return RunWiring(
            self.scenario,
            hooks.seed,
            path if transcript else None,
            event_callback=hooks.event_callback,
            progress_callback=hooks.progress_callback,
            use_llm=self.use_llm,
            timing=timing,
            branch=self.branch,
        )


@attrs.define(eq=False, slots=False)
class ScenarioRunSource(ScenarioSource):
    """A full simulation of a scenario (watch and demo); transcripts go to the runs folder."""

    seatable = frozenset(ParticipantRole)

    base_timestamp: datetime | None = attrs.field(default=None, kw_only=True)
    write_transcript: bool = attrs.field(default=True, kw_only=True)

    async def start(self, hooks: RunHooks) -> ActiveRun:
        from tui.wiring.runs import full_run

        wiring = self.wiring(hooks, transcript=self.write_transcript)
        runner, _writer = full_run(wiring, pacer=hooks.pacer, base_timestamp=self.base_timestamp)
        return ActiveRun(
            seat_full_runner(runner, hooks.seats), transcript_path=wiring.transcript_path
        )
