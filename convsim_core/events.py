"""Events a runner reports while it works, for live views (the TUI, batch dashboards).

The design's ``progress_callback`` stays the simple per-message hook; these events carry the
finer detail a live view needs (who is typing, the judge's rationale, connection state).
"""

from __future__ import annotations

import enum

import attrs

from convsim_core.channel import ChannelState
from convsim_core.models import ConversationResult, Judgement, Message, ParticipantRole


class RunnerState(enum.StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    ERROR = "error"


@attrs.frozen
class TypingStarted:
    role: ParticipantRole


@attrs.frozen
class MessageAdded:
    index: int
    message: Message


@attrs.frozen
class Judged:
    judgement: Judgement


@attrs.frozen
class StateChanged:
    state: RunnerState
    detail: str = ""


@attrs.frozen
class ChannelStateChanged:
    state: ChannelState
    detail: str = ""


@attrs.frozen
class ProtocolErrorSeen:
    excerpt: str
    reason: str = attrs.field(default="", eq=False)
    """What was wrong ("frame is not JSON: ..."); the excerpt shows the frame itself."""


@attrs.frozen
class Finished:
    result: ConversationResult


RunnerEvent = (
    TypingStarted
    | MessageAdded
    | Judged
    | StateChanged
    | ChannelStateChanged
    | ProtocolErrorSeen
    | Finished
)
