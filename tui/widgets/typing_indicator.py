""" "Customer is typing…" under the transcript while a participant composes a reply."""

from __future__ import annotations

from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Static

from convsim_core.models import ParticipantRole
from tui.formatting import role_label

_FRAMES = ("·  ", "·· ", "···", " ··", "  ·", "   ")


class TypingIndicator(Static):
    """Shows who is typing; one reserved row so the transcript never jumps."""

    DEFAULT_CSS = """
    TypingIndicator {
        height: 1;
        padding: 0 2;
        color: $text-muted;
        text-style: italic;
    }
    TypingIndicator.customer { color: $text-primary; }
    TypingIndicator.agent { color: $text-success; text-align: right; }
    """

    role: reactive[ParticipantRole | None] = reactive(None, init=False)
    paused: reactive[bool] = reactive(False, init=False)
    """While a watch is paused the next message waits: the dots stop, the row says so."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._frame = 0
        self._timer: Timer | None = None
        self._person_roles: frozenset[ParticipantRole] = frozenset()

    @property
    def person_roles(self) -> frozenset[ParticipantRole]:
        """Seats a person holds: their turn is "your turn", not "is typing"."""
        return self._person_roles

    @person_roles.setter
    def person_roles(self, roles: frozenset[ParticipantRole]) -> None:
        self._person_roles = roles
        if self.is_mounted:
            self._paint()

    def show(self, role: ParticipantRole) -> None:
        self.role = role

    def hide(self, role: ParticipantRole | None = None) -> None:
        """Hide the indicator (only if ``role`` is the one typing, when given)."""
        if role is None or role is self.role:
            self.role = None

    def watch_role(self, role: ParticipantRole | None) -> None:
        for name in ParticipantRole:
            self.set_class(role is name, name.value)
        if role is not None and self.app.animation_level != "none":
            if self._timer is None:
                self._timer = self.set_interval(0.3, self._tick)
        elif self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._frame = 0
        self._paint()

    def watch_paused(self, _paused: bool) -> None:
        self._paint()

    def _tick(self) -> None:
        if self.paused:
            return
        self._frame = (self._frame + 1) % len(_FRAMES)
        self._paint()

    def _paint(self) -> None:
        role = self.role
        if role is None:
            self.update("")
            return
        if role in self._person_roles:
            self.update(f"Your turn as the {role.value}: type below, ctrl+s sends")
            return
        if self.paused:
            self.update(f"{role_label(role)} is typing (paused)")
            return
        dots = _FRAMES[self._frame] if self._timer is not None else "…"
        self.update(f"{role_label(role)} is typing {dots}")
