"""Take-over on the watch and connect screens: a person takes a side's seat, types, hands it back.

The screens bind the keys (``t`` the customer's seat, ``a`` the agent's in watch, ``ctrl+t``
hands every seat back, also from inside the composer); this mixin holds the actions, the
composer that appears while a person holds a seat, and what the footer shows when.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual.widget import Widget

from convsim_core.models import ParticipantRole
from tui.widgets.composer import Composer
from tui.widgets.live_run import LiveRun

if TYPE_CHECKING:
    from tui.settings import ViewSettings

SEAT_HINT = "ctrl+s send · ctrl+t hand back · enter new line"
TAKE_ACTIONS = ("take_customer", "take_agent", "hand_back")


class SeatControls:
    """Mixed into a run screen that has ``live`` and ``settings`` (watch and connect)."""

    live: LiveRun
    settings: ViewSettings

    if TYPE_CHECKING:

        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def notify(self, message: str, **kwargs: Any) -> None: ...
        def refresh_bindings(self) -> None: ...

    def compose_seat_composer(self) -> Iterable[Widget]:
        composer = Composer(
            cursor_blink=self.settings.cursor_blink,
            title="Your message",
            hint=SEAT_HINT,
            id="seat-composer",
        )
        composer.display = False
        yield composer

    @property
    def seat_composer(self) -> Composer:
        return self.query_one("#seat-composer", Composer)  # type: ignore[no-any-return]

    def check_seat_action(self, action: str) -> bool | None:
        live = self.live
        if action == "take_customer":
            return live.can_take(ParticipantRole.CUSTOMER) and not _holds(live, "customer")
        if action == "take_agent":
            return live.can_take(ParticipantRole.AGENT) and not _holds(live, "agent")
        return bool(live.held_seats)  # hand_back

    def seat_commands(self) -> list[tuple[str, str, Any]]:
        commands = []
        if ParticipantRole.CUSTOMER in self.live.source.seatable:
            commands.append(
                (
                    "Take the customer's seat",
                    "You type the customer's messages",
                    self.action_take_customer,
                )
            )
        if ParticipantRole.AGENT in self.live.source.seatable:
            commands.append(
                ("Take the agent's seat", "You type the agent's messages", self.action_take_agent)
            )
        commands.append(
            ("Hand back", "Give the seats back to the simulation", self.action_hand_back)
        )
        return commands

    def action_take_customer(self) -> None:
        self._take(ParticipantRole.CUSTOMER)

    def action_take_agent(self) -> None:
        self._take(ParticipantRole.AGENT)

    def _take(self, role: ParticipantRole) -> None:
        if not self.live.take_seat(role):
            self.live.app.bell()
            return
        self.notify(
            f"You have the {role.value}'s seat from its next turn on · ctrl+t hands it back",
            title="Take over",
            timeout=4,
        )

    def action_hand_back(self) -> None:
        if not self.live.held_seats:
            self.live.app.bell()
            return
        unsent = self.live.hand_back()
        note = f" ({len(unsent)} unsent message(s) dropped)" if unsent else ""
        self.notify(f"The simulation has the seat again{note}", title="Handed back", timeout=3)

    # Named handlers, not @on: Textual collects decorated handlers only from DOM classes.
    def on_live_run_seats_changed(self, event: LiveRun.SeatsChanged) -> None:
        composer = self.seat_composer
        held = event.held
        composer.display = bool(held)
        if held:
            sides = " and ".join(role.value for role in sorted(held))
            composer.set_title(f"You are the {sides}")
            composer.set_accepting(True)
            composer.text_area.focus()
        else:
            composer.text_area.clear()
            self.query_one("#transcript").focus()
        self.refresh_bindings()

    def on_composer_submitted(self, event: Composer.Submitted) -> None:
        if event.control.id != "seat-composer":
            return
        event.stop()
        if not self.live.submit_seated(event.text):
            event.control.text_area.insert(event.text)


def _holds(live: LiveRun, role: str) -> bool:
    return ParticipantRole(role) in live.held_seats
