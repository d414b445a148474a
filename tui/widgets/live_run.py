"""The live view of one conversation: it runs the runner in a worker and routes what it reports.

The runner's callbacks only post messages (never touch widgets); the handlers here set the
panes. Progress reports can come faster than the screen refreshes, so they replace each other
in the queue (``can_replace``). Every message carries the run's generation so a restart never
shows the tail end of the previous run.

Over 400 lines on purpose: it is one widget's message handlers (one per runner event) and the
worker that feeds them; splitting the handlers from the messages they handle would only make
each half harder to follow.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import tzinfo
from pathlib import Path
from typing import Any, NotRequired, Protocol, TypedDict

from textual import getters, on, work
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from convsim_core.channel import ChannelError, ChannelState
from convsim_core.events import (
    ChannelStateChanged,
    Finished,
    Judged,
    MessageAdded,
    ProtocolErrorSeen,
    RunnerEvent,
    RunnerState,
    StateChanged,
    TypingStarted,
)
from convsim_core.models import (
    Conversation,
    ConversationResult,
    ParticipantRole,
    TerminationReason,
)
from convsim_core.models import Message as ChatMessage
from convsim_core.takeover import Seats
from tui.clock import Clock
from tui.errors import ErrorReport, describe_error, describe_run_failure
from tui.formatting import humanize
from tui.pace import WATCH_PACE, Pace, UiPacer
from tui.run_source import ActiveRun, RunHooks, RunSource
from tui.widgets.agent_brief import AgentBrief
from tui.widgets.connection_badge import ConnectionBadge
from tui.widgets.customer_brief import CustomerBrief
from tui.widgets.error_panel import ErrorPanel
from tui.widgets.messages import WidgetMessage
from tui.widgets.outcome_panel import OutcomePanel
from tui.widgets.progress_panel import ProgressPanel
from tui.widgets.scenario_panel import ScenarioPanel
from tui.widgets.transcript import TranscriptView
from tui.widgets.typing_indicator import TypingIndicator

logger = logging.getLogger(__name__)

ACTIVE_STATES = frozenset({"starting", "running", "paused"})


def display_path(path: Path) -> str:
    """The path as a person would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class LiveRunSettings(Protocol):
    """What a live run reads of the app's view settings (:class:`tui.settings.ViewSettings`,
    a layer above the widgets, satisfies it)."""

    @property
    def clock(self) -> Clock:
        """Wall clock for elapsed time."""

    @property
    def tz(self) -> tzinfo | None:
        """Time zone for message times."""

    @property
    def autostart(self) -> bool:
        """Start the conversation as soon as the widget mounts."""

    @property
    def max_live(self) -> int:
        """Messages the transcript keeps as live widgets."""

    @property
    def show_transcript_path(self) -> bool:
        """Say where the transcript is written."""


class RunInputs(TypedDict):
    """What decides a live run besides its source: a screen hosting one passes these on."""

    seed: int
    pace: NotRequired[Pace]


class LiveRun(Widget):
    """Transcript, typing indicator, outcome, progress and scenario panes for one live run."""

    status: reactive[str] = reactive("idle")
    """idle, starting, running, paused, done, stopped or error."""

    transcript = getters.query_one(TranscriptView)
    typing = getters.query_one(TypingIndicator)
    outcome_panel = getters.query_one(OutcomePanel)
    _progress_panel = getters.query_one(ProgressPanel)
    error_panel = getters.query_one(ErrorPanel)

    class Finished(WidgetMessage["LiveRun"]):
        """The conversation ended (any reason); the screen may ask the person about it."""

        def __init__(
            self, live_run: LiveRun, result: ConversationResult, transcript_path: Path | None
        ) -> None:
            super().__init__(live_run)
            self.result = result
            self.transcript_path = transcript_path

    class SeatsChanged(WidgetMessage["LiveRun"]):
        """A person took a seat or handed it back; the screen shows or hides the composer."""

        def __init__(self, live_run: LiveRun, held: frozenset[ParticipantRole]) -> None:
            super().__init__(live_run)
            self.held = held

    class RunnerEventArrived(Message, bubble=False):
        def __init__(self, generation: int, event: RunnerEvent) -> None:
            super().__init__()
            self.generation = generation
            self.event = event

    class ProgressReported(Message, bubble=False):
        def __init__(self, generation: int, progress: dict[str, Any]) -> None:
            super().__init__()
            self.generation = generation
            self.progress = progress

        def can_replace(self, message: Message) -> bool:
            # Only the newest report matters; older ones still queued are dropped.
            return (
                isinstance(message, LiveRun.ProgressReported)
                and message.generation == self.generation
            )

    def __init__(
        self,
        source: RunSource,
        *,
        seed: int,
        settings: LiveRunSettings,
        pace: Pace = WATCH_PACE,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.source = source
        self.seed = seed
        self.pace = pace
        self.settings = settings
        self.paced = pace.paced
        self.pacer: UiPacer | None = None
        self.active: ActiveRun | None = None
        self.last_result: ConversationResult | None = None
        self.last_error: ErrorReport | None = None
        self.transcript_path: Path | None = None
        self._generation = 0
        self._worker: Worker[ConversationResult] | None = None
        self.seats: Seats | None = None
        """Take-over: the seats of the current run (None where the source has none)."""

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> Iterable[Widget]:
        info = self.source.info
        with Horizontal(id="live-body"):
            with Vertical(id="conversation"):
                if info.intent:
                    yield Static(
                        Content.from_markup(
                            "[b $text-accent]Intent[/] $intent", intent=info.intent
                        ),
                        id="intent-banner",
                    )
                yield TranscriptView(
                    id="transcript", max_live=self.settings.max_live, tz=self.settings.tz
                )
                yield TypingIndicator(id="typing")
                yield ErrorPanel(id="error")
            with VerticalScroll(id="side", can_focus=False):
                if self.source.kind == "connect":
                    yield ConnectionBadge(
                        self.source.target, transport=self.source.transport, id="connection"
                    )
                seatable = self.source.seatable
                playing = self.source.kind == "play"
                if playing or ParticipantRole.AGENT in seatable:
                    yield AgentBrief(info, playing=playing, id="agent-brief")
                if ParticipantRole.CUSTOMER in seatable:
                    yield CustomerBrief(info, id="customer-brief")
                yield OutcomePanel(info.outcomes, id="outcome")
                yield ProgressPanel(
                    info.max_messages,
                    clock=self.settings.clock,
                    real_time=self.source.kind != "full",
                    id="progress",
                )
                yield ScenarioPanel(info, kind=self.source.kind, id="scenario")

    def on_mount(self) -> None:
        self._show_briefs(frozenset())
        self._progress_panel.set_pace(self._pace_label())
        if self.settings.autostart:
            self.start()

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATES

    # -- controls -------------------------------------------------------------------------------

    def start(self, seed: int | None = None) -> None:
        """(Re)start the conversation; a run in progress is cancelled first."""
        if seed is not None:
            self.seed = seed
        self._generation += 1
        self.last_result = None
        self.last_error = None
        self.transcript_path = None
        self.active = None
        self.transcript.clear()
        self.typing.hide()
        self.error_panel.clear()
        self.outcome_panel.reset()
        self._progress_panel.reset()
        self._progress_panel.set_transcript_path("")
        for badge in self.query(ConnectionBadge):
            badge.set_state(None)
        self.pacer = UiPacer.for_pace(
            Pace(self.pace.speed, self.pace.max_wait, self.paced, self.pace.start_paused)
        )
        self._progress_panel.set_pace(self._pace_label())
        had_seats = bool(self.seats and self.seats.held_roles)
        self.seats = Seats() if self.source.seatable else None
        self.typing.person_roles = frozenset()
        self._show_briefs(frozenset())
        if had_seats:
            self.post_message(self.SeatsChanged(self, frozenset()))
        self.status = "starting"
        self._progress_panel.start_clock()
        self._worker = self._run(self._generation, self.seed, self.pacer, self.seats)

    def restart(self) -> None:
        """Run again with the next seed, so a restart shows a different conversation.

        The first start of a view that did not start by itself keeps its seed.
        """
        # A restart starts at the pace the view was opened with: "fastest" chosen for one
        # run is not silently kept for the next.
        self.paced = self.pace.paced
        self.start(self.seed if self.status == "idle" else self.seed + 1)

    def stop(self) -> bool:
        """Cancel the run; the runner records it as stopped. False when nothing is running."""
        if not self.is_active or self._worker is None:
            return False
        self._worker.cancel()
        return True

    def toggle_pause(self) -> bool:
        if self.pacer is None or not self.is_active:
            return False
        if self.pacer.paused:
            self.pacer.resume()
        else:
            self.pacer.pause()
        self._sync_status()
        return True

    def step(self) -> bool:
        """Let one more message through, then pause."""
        if self.pacer is None or not self.is_active:
            return False
        self.pacer.step()
        self._sync_status()
        return True

    def toggle_speed(self) -> None:
        """Flip between paced by typing delays and as fast as possible."""
        self.paced = not self.paced
        if self.pacer is not None:
            self.pacer.speed = self.pace.speed if self.paced else None
        self._progress_panel.set_pace(self._pace_label())

    # -- take-over ------------------------------------------------------------------------------

    def can_take(self, role: ParticipantRole) -> bool:
        return self.seats is not None and role in self.source.seatable and self.is_active

    def take_seat(self, role: ParticipantRole) -> bool:
        """A person takes ``role``'s seat from its next turn on. False when it cannot be taken."""
        if self.seats is None or not self.can_take(role) or self.seats.held(role):
            return False
        self.seats.take(role)
        if self.pacer is not None and self.pacer.paused:
            # A person in the chat makes it live: a paused run would hold their turn back
            # (and space would type into the composer, not resume).
            self.pacer.resume()
            self._sync_status()
        self._seats_changed()
        return True

    def hand_back(self, role: ParticipantRole | None = None) -> list[str]:
        """Give ``role``'s seat (every seat when None) back to the simulation.

        Returns what the person typed but was not sent yet.
        """
        if self.seats is None:
            return []
        unsent: list[str] = []
        for held in sorted(self.seats.held_roles) if role is None else [role]:
            unsent += self.seats.hand_back(held)
        self._seats_changed()
        return unsent

    @property
    def held_seats(self) -> frozenset[ParticipantRole]:
        return self.seats.held_roles if self.seats is not None else frozenset()

    def seat_to_type_for(self) -> ParticipantRole | None:
        """The held seat the next typed message is for: the side whose turn comes next."""
        held = self.held_seats
        if len(held) <= 1:
            return next(iter(held), None)
        messages = self.conversation_messages()
        last = messages[-1].sender if messages else ParticipantRole.AGENT
        return last.other

    def submit_seated(self, text: str) -> bool:
        """The person's message for the seat they hold; sent on that side's turn."""
        role = self.seat_to_type_for()
        if self.seats is None or role is None or not self.is_active:
            self.notify("Take a seat first (t: the customer's).", severity="warning", timeout=3)
            return False
        self.seats.type(role, text)
        return True

    def _seats_changed(self) -> None:
        held = self.held_seats
        self.typing.person_roles = held
        self._show_briefs(held)
        self.post_message(self.SeatsChanged(self, held))

    def _show_briefs(self, held: frozenset[ParticipantRole]) -> None:
        """A side's brief shows while a person holds its seat (play: the agent's, always)."""
        for brief in self.query(AgentBrief):
            brief.display = self.source.kind == "play" or ParticipantRole.AGENT in held
        for customer in self.query(CustomerBrief):
            customer.display = ParticipantRole.CUSTOMER in held
        if held:
            self.query_one("#side").scroll_home(animate=False)

    async def submit_agent_message(self, text: str) -> bool:
        """Play mode: hand the person's message to the chat. False when it cannot be sent."""
        session = self.active.session if self.active is not None else None
        if session is None or not self.is_active:
            self.notify("The chat is not open yet.", severity="warning", timeout=3)
            return False
        try:
            await session.submit(text)
        except (ChannelError, ValueError) as exc:
            self.notify(str(exc), severity="error")
            return False
        return True

    async def end_chat(self) -> bool:
        """Play mode: the person ends the chat; the runner finishes with participant_finished."""
        session = self.active.session if self.active is not None else None
        if session is None or not self.is_active:
            return False
        await session.end()
        return True

    def conversation_messages(self) -> tuple[ChatMessage, ...]:
        if self.active is not None:
            return self.active.runner.conversation.messages
        return ()

    # -- the worker -----------------------------------------------------------------------------

    @work(exclusive=True, group="run", exit_on_error=False)
    async def _run(
        self, generation: int, seed: int, pacer: UiPacer, seats: Seats | None = None
    ) -> ConversationResult:
        def on_event(event: RunnerEvent) -> None:
            self.post_message(self.RunnerEventArrived(generation, event))

        def on_progress(_conversation: Conversation, progress: dict[str, Any]) -> None:
            self.post_message(self.ProgressReported(generation, progress))

        hooks = RunHooks(
            seed=seed,
            event_callback=on_event,
            progress_callback=on_progress,
            pacer=pacer,
            seats=seats,
        )
        active = await self.source.start(hooks)
        if generation == self._generation:
            self.active = active
            self.transcript_path = active.transcript_path
            if active.transcript_path is not None and self.settings.show_transcript_path:
                self._progress_panel.set_transcript_path(display_path(active.transcript_path))
        try:
            return await active.runner.run()
        finally:
            await active.close()

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures surface: bad scenario, unreachable bot, any bug."""
        if event.worker is not self._worker:
            return
        event.stop()
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            logger.debug("run failed", exc_info=error)
            self._fail(describe_error(error) if error else describe_run_failure(""))
        elif event.state is WorkerState.CANCELLED and self.status in ACTIVE_STATES:
            self._end_status("stopped")
        elif event.state is WorkerState.SUCCESS and self.status in ACTIVE_STATES:
            result = event.worker.result
            if result is not None and self.last_result is None:
                self._finished(result)

    # -- runner events --------------------------------------------------------------------------

    @on(RunnerEventArrived)
    def _runner_event(self, message: RunnerEventArrived) -> None:
        if message.generation == self._generation:
            self._apply(message.event)

    def replay(self, events: Iterable[RunnerEvent]) -> None:
        """Show recorded events without a runner (snapshots, demos of a given state)."""
        for event in events:
            self._apply(event)

    def _apply(self, event: RunnerEvent) -> None:
        if isinstance(event, MessageAdded):
            self.transcript.add_message(event.index, event.message)
            for badge in self.query(ConnectionBadge):
                if event.message.sender is ParticipantRole.AGENT:
                    badge.bot_replied(event.message.timestamp)
                else:
                    badge.customer_spoke(event.message.timestamp)
            self.typing.hide(event.message.sender)
            self._progress_panel.set_message_count(event.index + 1)
            self._sync_status()
        elif isinstance(event, TypingStarted):
            self.typing.show(event.role)
        elif isinstance(event, Judged):
            self.outcome_panel.set_judgement(event.judgement)
        elif isinstance(event, StateChanged):
            self._runner_state(event.state, event.detail)
        elif isinstance(event, ChannelStateChanged):
            self._channel_state(event.state, event.detail)
        elif isinstance(event, ProtocolErrorSeen):
            self._progress_panel.count_protocol_error()
            self.notify(
                f"Unreadable bot reply ({(event.reason or 'protocol error')[:60]}):"
                f" {event.excerpt[:60]}",
                severity="warning",
                timeout=4,
            )
        elif isinstance(event, Finished):
            self._finished(event.result)

    @on(ProgressReported)
    def _progress(self, message: ProgressReported) -> None:
        if message.generation == self._generation:
            self._progress_panel.set_progress(message.progress)

    def _runner_state(self, state: RunnerState, detail: str) -> None:
        if state is RunnerState.RUNNING:
            self.status = "running"
            self._sync_status()
        elif state is RunnerState.ERROR:
            self._fail(describe_run_failure(detail))

    def _channel_state(self, state: ChannelState, detail: str) -> None:
        for badge in self.query(ConnectionBadge):
            badge.set_state(state, detail)
        if state is ChannelState.RECONNECTING:
            self.notify(
                f"Connection lost, reconnecting… {detail}".strip(), severity="warning", timeout=4
            )
        elif state is ChannelState.FAILED:
            self.notify(f"Connection failed. {detail}".strip(), severity="error")

    def _finished(self, result: ConversationResult) -> None:
        if self.last_result is not None:
            return
        self.last_result = result
        self.typing.hide()
        self.outcome_panel.set_result(result)
        self._progress_panel.set_message_count(len(result.conversation.messages))
        if result.error and result.termination_reason is not TerminationReason.STOPPED:
            self._fail(describe_run_failure(result.error))
        else:
            stopped = result.termination_reason is TerminationReason.STOPPED
            self._end_status("stopped" if stopped else "done")
            outcome = result.conversation.outcome
            reason = humanize(result.termination_reason.value) if result.termination_reason else ""
            saved = (
                f"\nTranscript: {display_path(self.transcript_path)}"
                if self.transcript_path and self.settings.show_transcript_path
                else ""
            )
            self.notify(
                f"Finished: {outcome.name if outcome else 'no outcome'} ({reason}){saved}",
                title="Conversation over",
                timeout=4,
            )
        self.post_message(self.Finished(self, result, self.transcript_path))

    def _fail(self, report: ErrorReport) -> None:
        self.last_error = report
        self.typing.hide()
        self.error_panel.show_error(report.title, report.detail, report.hint)
        self._end_status("error")

    def _end_status(self, status: str) -> None:
        if self.held_seats:
            self.hand_back()
        self.status = status
        self._progress_panel.stop_clock()
        self._progress_panel.set_state(status)

    def _sync_status(self) -> None:
        if self.status in ("running", "paused") and self.pacer is not None:
            self.status = "paused" if self.pacer.paused else "running"
        self._progress_panel.set_state(self.status)
        self.typing.paused = self.status == "paused"

    def _pace_label(self) -> str:
        if self.source.kind != "full":
            return "real time"
        return self.pace.describe(self.paced)

    def watch_status(self, status: str) -> None:
        if self.is_mounted:
            self._progress_panel.set_state(status)
