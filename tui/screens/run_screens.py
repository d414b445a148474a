"""The live screens: watch/demo (a full simulation), play (you are the agent), connect (a bot).

Screens are thin: they compose a header, the :class:`LiveRun` view and a footer, bind keys and
palette commands to the view's methods, and ask the person things in modal dialogs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Unpack

from textual import on, work
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header

from tui.export import record_outcome_choice, save_transcript
from tui.run_source import RunSource
from tui.screens.dialogs import NO_OUTCOME, OutcomeDialog, SaveDialog
from tui.screens.help import HelpScreen
from tui.screens.seat_controls import TAKE_ACTIONS, SeatControls
from tui.settings import ViewSettings
from tui.widgets.composer import Composer
from tui.widgets.live_run import LiveRun, RunInputs

Command = tuple[str, str, Callable[[], Any]]

SEAT_BINDINGS = (
    Binding(
        "t",
        "take_customer",
        "Take over",
        tooltip="Take the customer's seat: you type the customer's messages",
    ),
    Binding(
        "ctrl+t",
        "hand_back",
        "Hand back",
        priority=True,
        tooltip="Give the seats back to the simulation",
    ),
)

SAVE_HELP_SEAT_BINDINGS = (
    Binding("s", "save", "Save", tooltip="Save a copy of the transcript"),
    Binding("question_mark,f1", "help", "Help", tooltip="Show every key"),
    *SEAT_BINDINGS,
)
"""The end of the watch and connect screens' footers (after their own stop and restart)."""


class RunScreen(Screen[None]):
    """Header, live run and footer; subclasses add bindings for their mode."""

    MODE = "watch"
    AUTO_FOCUS = "#transcript"

    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Stop this run and go back to the start screen"),
    ]

    def __init__(
        self,
        source: RunSource,
        *,
        settings: ViewSettings,
        mode: str | None = None,
        **run: Unpack[RunInputs],
    ) -> None:
        super().__init__()
        self.source = source
        self.settings = settings
        self.mode = mode or self.MODE
        self._live = LiveRun(source, settings=settings, id="live", **run)

    @property
    def live(self) -> LiveRun:
        return self._live

    def compose(self) -> Iterable[Widget]:
        yield Header(icon="◆")
        yield self._live
        yield from self.compose_extra()
        yield Footer(compact=True, show_command_palette=False)

    def compose_extra(self) -> Iterable[Widget]:
        return ()

    def on_mount(self) -> None:
        self.title = f"convsim · {self.mode}"
        self._update_subtitle()
        self.watch(self._live, "status", self._status_changed)

    def _update_subtitle(self) -> None:
        self.sub_title = f"{self.source.info.title} · seed {self._live.seed}"

    def _status_changed(self, status: str) -> None:
        self._update_subtitle()
        self.refresh_bindings()

    def commands(self) -> list[Command]:
        """Palette commands for this screen (the app adds them to ctrl+p)."""
        return [("Help", "Show every key of this screen", self.action_help)]

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    @property
    def can_go_back(self) -> bool:
        """Opened from the start screen (something to go back to), not as the first screen."""
        return len(self.app.screen_stack) > 2 and self.app.screen_stack[-1] is self

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.can_go_back
        return True

    def action_back(self) -> None:
        if self.can_go_back:
            self._live.stop()
            self.dismiss(None)

    @property
    def exit_code(self) -> int:
        """1 when the last conversation failed, else 0 (what the command returns)."""
        return 1 if self._live.status == "error" else 0


class ControlledRunScreen(SeatControls, RunScreen):
    """Actions shared by the watch and connect screens (each binds its own keys)."""

    def compose_extra(self) -> Iterable[Widget]:
        yield from self.compose_seat_composer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in TAKE_ACTIONS:
            return self.check_seat_action(action)
        active = self._live.is_active
        if action in ("pause", "resume"):
            # One key, two labels: the footer says what space will do now.
            paused = self._live.status == "paused"
            if not active:
                return None if action == "pause" else False
            return paused if action == "resume" else not paused
        if action in ("step", "stop"):
            return True if active else None
        if action == "save":
            return True if self._live.status != "idle" else None
        return super().check_action(action, parameters)

    def commands(self) -> list[Command]:
        return [
            ("Pause or resume", "Pause or resume the conversation", self.action_pause),
            ("Step one message", "Let exactly one more message through", self.action_step),
            ("Toggle speed", "Paced by typing delays, or as fast as possible", self.action_speed),
            ("Stop", "Stop the conversation", self.action_stop),
            ("Restart with a new seed", "Run the scenario again, next seed", self.action_restart),
            *self.closing_commands(),
        ]

    def closing_commands(self) -> list[Command]:
        """The end of the watch and connect palettes (after their own stop and restart)."""
        return [
            ("Save transcript", "Save a copy of the transcript", self.action_save),
            *self.seat_commands(),
            *super().commands(),
        ]

    def action_pause(self) -> None:
        if not self._live.toggle_pause():
            self.app.bell()
        self.refresh_bindings()

    def action_resume(self) -> None:
        self.action_pause()

    def action_step(self) -> None:
        if not self._live.step():
            self.app.bell()
        self.refresh_bindings()

    def action_speed(self) -> None:
        self._live.toggle_speed()
        self.notify(f"Speed: {self._live.pace.describe(self._live.paced)}", timeout=2)

    def action_stop(self) -> None:
        if not self._live.stop():
            self.app.bell()

    def action_restart(self) -> None:
        self._live.restart()

    def action_save(self) -> None:
        self.app.push_screen(SaveDialog(self._suggested_path()), self._save_to)

    def _suggested_path(self) -> Path:
        name = self.source.info.name or "conversation"
        return Path(f"{name}-seed{self._live.seed}.jsonl")

    def _save_to(self, destination: Path | None) -> None:
        if destination is None:
            return
        live = self._live
        try:
            saved = save_transcript(
                destination,
                recorded=live.transcript_path,
                header={"scenario": self.source.info.name, "seed": live.seed},
                messages=live.conversation_messages(),
                result=live.last_result,
                title=self.source.info.title,
            )
        except OSError as exc:
            self.notify(f"Could not save: {exc}", severity="error")
            return
        self.notify(f"Saved {saved}", title="Transcript saved", timeout=4)


def _off_footer(key: str, action: str, description: str, tooltip: str) -> Binding:
    """A key shown in help and the command palette but not in the footer, which has to fit 80
    columns."""
    return Binding(key, action, description, show=False, tooltip=tooltip)


class WatchScreen(ControlledRunScreen):
    """Watch a full simulation (``convsim watch`` and ``convsim demo``)."""

    MODE = "watch"

    BINDINGS = [
        Binding("space", "pause", "Pause", tooltip="Pause the conversation"),
        Binding("space", "resume", "Resume", tooltip="Resume the conversation"),
        Binding("n", "step", "Step", tooltip="Let exactly one more message through"),
        _off_footer("f", "speed", "Speed", "Toggle paced by typing delays / as fast as possible"),
        Binding("x", "stop", "Stop", tooltip="Stop the conversation (recorded as stopped)"),
        Binding("r", "restart", "Restart", tooltip="Run again with the next seed"),
        *SAVE_HELP_SEAT_BINDINGS,
        _off_footer(
            "a", "take_agent", "Be agent", "Take the agent's seat: you type the agent's messages"
        ),
    ]


class ConnectScreen(ControlledRunScreen):
    """Follow a hybrid conversation with a real (staging) bot; shows the connection state."""

    MODE = "connect"

    BINDINGS = [
        Binding("x", "stop", "Stop", tooltip="Stop the conversation"),
        Binding("r", "restart", "New chat", tooltip="Start a new chat with the next seed"),
        *SAVE_HELP_SEAT_BINDINGS,
    ]

    def commands(self) -> list[Command]:
        return [
            ("Stop", "Stop the conversation", self.action_stop),
            ("New chat", "Start a new chat with the next seed", self.action_restart),
            *self.closing_commands(),
        ]


class PlayScreen(RunScreen):
    """You are the agent: type replies, the simulated customer answers in real time."""

    MODE = "play"
    AUTO_FOCUS = "#composer-input"

    BINDINGS = [
        Binding("ctrl+f", "end_chat", "End chat", tooltip="End the chat as the agent"),
        Binding("ctrl+r", "restart", "New chat", tooltip="Start a new chat with the next seed"),
        Binding("f1", "help", "Help", tooltip="Show every key"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True, tooltip="Quit convsim"),
    ]

    def compose_extra(self) -> Iterable[Widget]:
        yield Composer(cursor_blink=self.settings.cursor_blink, id="composer")

    @property
    def _composer(self) -> Composer:
        return self.query_one(Composer)

    def _status_changed(self, status: str) -> None:
        super()._status_changed(status)
        if status in ("running", "paused"):
            self._composer.set_accepting(True)
        elif status == "starting":
            self._composer.set_accepting(False, "Opening the chat…")
        elif status == "idle":
            self._composer.set_accepting(False, "Press ctrl+r to start the chat.")
        else:
            self._composer.set_accepting(False, "The chat is over · ctrl+r starts a new one")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "end_chat":
            return True if self._live.is_active else None
        return super().check_action(action, parameters)

    def commands(self) -> list[Command]:
        return [
            ("End chat", "End the chat as the agent", self.action_end_chat),
            ("New chat", "Start a new chat with the next seed", self.action_restart),
            *super().commands(),
        ]

    @on(Composer.Submitted)
    async def _send(self, event: Composer.Submitted) -> None:
        if not await self._live.submit_agent_message(event.text):
            event.control.text_area.insert(event.text)

    async def action_end_chat(self) -> None:
        if not await self._live.end_chat():
            self.app.bell()

    def action_restart(self) -> None:
        self._live.restart()

    @on(LiveRun.Finished)
    def _finished(self, event: LiveRun.Finished) -> None:
        if event.result.error and event.result.conversation.outcome is None:
            return
        self._ask_outcome(event)

    @work(group="outcome", exclusive=True)
    async def _ask_outcome(self, event: LiveRun.Finished) -> None:
        live = self._live
        choice = await self.app.push_screen_wait(
            OutcomeDialog(self.source.info.outcomes, event.result.judgement)
        )
        label = None if choice == NO_OUTCOME else choice
        try:
            updated = record_outcome_choice(
                event.transcript_path, event.result, label, self.source.info.outcomes
            )
        except (OSError, ValueError) as exc:
            self.notify(f"Could not save the outcome: {exc}", severity="error")
            return
        live.last_result = updated
        live.outcome_panel.set_override(label or "none")
        changed = updated is not event.result
        verb = "Overridden" if changed else "Confirmed"
        where = f" in {event.transcript_path}" if event.transcript_path else ""
        self.notify(f"{verb}: {label or 'no outcome'}{where}", title="Outcome saved", timeout=5)
