"""Messages vs max_messages, run state, wall and simulated time, LLM usage and pace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ProgressBar, Static

from tui.clock import Clock, monotonic_clock
from tui.formatting import format_duration

STATE_STYLES = {
    "idle": "$text-muted",
    "starting": "$text-muted",
    "running": "$text-success",
    "paused": "$text-warning",
    "done": "$text-primary",
    "stopped": "$text-warning",
    "error": "$text-error",
}


class ProgressPanel(Widget):
    """Everything ``runner.get_progress()`` reports, plus the wall clock from an injected clock."""

    DEFAULT_CSS = """
    ProgressPanel {
        height: auto;
        & > ProgressBar { width: 1fr; }
        & > ProgressBar > Bar { width: 1fr; }
        & > #progress-stats { height: auto; }
    }
    """

    def __init__(
        self,
        max_messages: int,
        *,
        clock: Clock = monotonic_clock,
        real_time: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.real_time = real_time
        """Play and connect run in real time: there is no simulated clock to show."""
        self.transcript_path: str = ""
        self.border_title = "Progress"
        self.max_messages = max_messages
        self._clock = clock
        self._progress: dict[str, Any] = {}
        self._state = "idle"
        self._pace = ""
        self._protocol_errors = 0
        self._started: float | None = None
        self._stopped: float | None = None
        self._timer: Timer | None = None

    def compose(self) -> Iterable[Widget]:
        yield ProgressBar(total=self.max_messages, show_eta=False, show_percentage=False)
        yield Static(id="progress-stats")

    def on_mount(self) -> None:
        self._timer = self.set_interval(1.0, self._paint, pause=True)
        self._paint()

    # -- set by the live view -----------------------------------------------------------------

    def reset(self) -> None:
        self._progress = {}
        self._protocol_errors = 0
        self._started = None
        self._stopped = None
        self.query_one(ProgressBar).update(progress=0)
        self._paint()

    def set_progress(self, progress: Mapping[str, Any]) -> None:
        self._progress = dict(progress)
        self.query_one(ProgressBar).update(
            total=max(1, int(progress.get("max_messages") or self.max_messages)),
            progress=int(progress.get("message_count") or 0),
        )
        self._paint()

    def set_message_count(self, count: int) -> None:
        """Cheaper than a full progress report; keeps the bar moving between reports."""
        self._progress["message_count"] = count
        self.query_one(ProgressBar).update(progress=count)
        self._paint()

    def set_state(self, state: str) -> None:
        self._state = state
        self._paint()

    def set_transcript_path(self, path: str) -> None:
        """Where the runner writes the transcript, so the person knows where to find it."""
        self.transcript_path = path
        self._paint()

    def set_pace(self, pace: str) -> None:
        self._pace = pace
        self._paint()

    def count_protocol_error(self) -> None:
        self._protocol_errors += 1
        self._paint()

    def start_clock(self) -> None:
        self._started = self._clock()
        self._stopped = None
        if self._timer is not None:
            self._timer.resume()
        self._paint()

    def stop_clock(self) -> None:
        if self._started is not None and self._stopped is None:
            self._stopped = self._clock()
        if self._timer is not None:
            self._timer.pause()
        self._paint()

    @property
    def state(self) -> str:
        return self._state

    @property
    def elapsed(self) -> float:
        if self._started is None:
            return 0.0
        end = self._stopped if self._stopped is not None else self._clock()
        return end - self._started

    # -- rendering ------------------------------------------------------------------------------

    def _paint(self) -> None:
        if not self.is_mounted:
            return
        progress = self._progress
        count = int(progress.get("message_count") or 0)
        maximum = int(progress.get("max_messages") or self.max_messages)
        state = self._state
        lines = [
            Content.from_markup(
                "[b]$count[/b] / $maximum messages", count=str(count), maximum=str(maximum)
            ),
            Content.from_markup(
                f"[b {STATE_STYLES.get(state, '$text')}]$state[/]$pace",
                state=state,
                pace=f" · {self._pace}" if self._pace else "",
            ),
            (
                Content.from_markup("Elapsed $wall", wall=format_duration(self.elapsed))
                if self.real_time
                else Content.from_markup(
                    "Wall $wall · sim $sim",
                    wall=format_duration(self.elapsed),
                    sim=format_duration(float(progress.get("simulated_seconds") or 0.0)),
                )
            ),
            Content.from_markup(
                "LLM $calls calls · $hits cached",
                calls=str(progress.get("llm_calls") or 0),
                hits=str(progress.get("cache_hits") or 0),
            ),
            Content.from_markup("Tokens $tokens", tokens=f"{int(progress.get('tokens') or 0):,}"),
        ]
        if self._protocol_errors:
            # "Unreadable", the word of the headless summary, `convsim show` and the summaries
            # (it was "malformed" here alone); one reply is a reply.
            count = self._protocol_errors
            noun = "reply" if count == 1 else "replies"
            lines.append(
                Content.from_markup(
                    "[$text-warning]$n unreadable bot $noun[/]", n=str(count), noun=noun
                )
            )
        if self.transcript_path:
            lines.append(
                Content.from_markup("[$text-muted]Saved to $path[/]", path=self.transcript_path)
            )
        self.query_one("#progress-stats", Static).update(Content("\n").join(lines))
