"""Plain-text output for ``--headless`` runs and ``convsim show``: no Textual, just lines.

Readable in a pipe or a CI log: one block per message (role, simulated time since the first
message, wrapped text), a note whenever the judge's outcome changes, and a summary at the
end. Colour only when writing to a terminal and ``NO_COLOR`` is unset.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from convsim_core.events import Judged, MessageAdded, RunnerEvent
from convsim_core.models import ConversationResult, Judgement, Message, Outcomes, ParticipantRole
from convsim_core.serialization import SchemaError, from_json
from convsim_core.textsafe import one_line, printable
from convsim_core.verdict_why import why
from tui.formatting import format_duration, humanize, role_label

if TYPE_CHECKING:
    from convsim_core.persistence import Transcript
    from convsim_core.scenario_models import Scenario

_LABEL_WIDTH = 9
_TIME_WIDTH = 7


class Style:
    """ANSI styling, or none at all."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def role(self, role: ParticipantRole, text: str) -> str:
        return self._wrap("1;36" if role is ParticipantRole.CUSTOMER else "1;32", text)

    def warn(self, text: str) -> str:
        return self._wrap("33", text)


def wants_colour(out: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


class HeadlessPrinter:
    """Prints a conversation as it happens; hand :meth:`on_event` to the runner."""

    def __init__(
        self, out: TextIO | None = None, *, colour: bool | None = None, width: int | None = None
    ) -> None:
        self.out = out or sys.stdout
        self.style = Style(wants_colour(self.out) if colour is None else colour)
        self.width = width or min(shutil.get_terminal_size((100, 24)).columns, 110)
        self._start: datetime | None = None
        self._outcome: str | None = None
        self._closed = False

    def line(self, text: str = "") -> None:
        if self._closed:
            return
        try:
            print(text, file=self.out, flush=True)
        except BrokenPipeError:
            # `convsim show x | head`: stop printing, let the run (and transcript) finish.
            self._closed = True
            _silence(self.out)

    # -- live runs ------------------------------------------------------------------------------

    def intro(self, scenario: Scenario, *, seed: int, kinds: dict[str, str]) -> None:
        sides = ", ".join(f"{role} {kind}" for role, kind in kinds.items())
        self.line(self.style.bold(one_line(scenario.title)))
        details = f"scenario {scenario.name}, seed {seed}, {sides}"
        self.line(self.style.dim(one_line(details)))
        intent = scenario.intent
        if intent is not None:
            self.line(self.style.dim(printable(f"goal: {intent.description}")))
        self.line()

    def on_event(self, event: RunnerEvent) -> None:
        if isinstance(event, MessageAdded):
            self.message(event.message)
        elif isinstance(event, Judged):
            self.judgement(event.judgement)

    def message(self, message: Message) -> None:
        if self._start is None:
            self._start = message.timestamp
        offset = (message.timestamp - self._start).total_seconds()
        clock = f"[{format_duration(offset)}]".rjust(_TIME_WIDTH)
        label = role_label(message.sender).ljust(_LABEL_WIDTH)
        indent = " " * (_TIME_WIDTH + 1 + _LABEL_WIDTH + 1)
        width = max(30, self.width - len(indent))
        body = [
            wrapped
            for line in (message.display_text() or "(empty message)").splitlines()
            for wrapped in (textwrap.wrap(printable(" ".join(line.split())), width=width) or [""])
        ] or ["(empty message)"]
        prefix = f"{self.style.dim(clock)} {self.style.role(message.sender, label)} "
        self.line(prefix + body[0])
        for rest in body[1:]:
            self.line(indent + rest)

    def judgement(self, judgement: Judgement) -> None:
        name = judgement.outcome.name if judgement.outcome else None
        if name == self._outcome:
            return
        self._outcome = name
        indent = " " * (_TIME_WIDTH + 1)
        why = f" ({judgement.rationale})" if judgement.rationale else ""
        self.line(self.style.dim(printable(f"{indent}-> outcome: {name or 'none yet'}{why}")))

    def summary(
        self,
        result: ConversationResult,
        *,
        transcript: Path | None = None,
        outcomes: Outcomes | None = None,
        real_time: bool = False,
    ) -> None:
        """The result block; ``real_time``: a bot or a person was in the chat (not "simulated")."""
        conversation = result.conversation
        outcome = conversation.outcome
        rows: list[tuple[str, str]] = [
            (
                "Outcome",
                printable(f"{outcome.name} - {outcome.description}") if outcome else "none reached",
            ),
        ]
        if result.outcome_overridden_by:
            judged = result.judgement.outcome if result.judgement else None
            rows.append(
                (
                    "Set by",
                    f"a {result.outcome_overridden_by} (the judge said"
                    f" {judged.name if judged else 'none'})",
                )
            )
        if result.judgement is not None:
            rows.append(("Why", printable(why(result.judgement, outcomes))))
        if result.termination_reason is not None:
            detail = f" ({result.termination_detail})" if result.termination_detail else ""
            rows.append(("Ended by", printable(humanize(result.termination_reason.value) + detail)))
        messages = conversation.messages
        simulated = (
            (messages[-1].timestamp - messages[0].timestamp).total_seconds() if messages else 0.0
        )
        clock = "" if real_time else " simulated"
        rows.append(("Messages", f"{len(messages)} in {format_duration(simulated)}{clock}"))
        usage = result.usage
        if usage.llm_calls:
            rows.append(
                (
                    "LLM usage",
                    f"{usage.llm_calls} calls, {usage.total_tokens} tokens,"
                    f" {usage.cache_hits} cache hits",
                )
            )
        errors = result.protocol_errors
        if errors:
            shown = "; ".join(repr(e) for e in errors[:3])
            more = f" and {len(errors) - 3} more" if len(errors) > 3 else ""
            rows.append(
                (
                    "Unreadable",
                    self.style.warn(printable(f"{len(errors)} bot message(s): {shown}{more}")),
                )
            )
        if result.error:
            rows.append(("Error", self.style.warn(printable(result.error))))
        if transcript is not None:
            rows.append(("Transcript", str(transcript)))
        self.line()
        self._rows(rows)

    def _rows(self, rows: Iterable[tuple[str, str]]) -> None:
        for name, value in rows:
            self.line(f"{self.style.bold((name + ':').ljust(12))}{value}")

    # -- saved transcripts ----------------------------------------------------------------------

    def transcript(self, transcript: Transcript) -> None:
        header = transcript.header
        title = header.get("scenario_title") or header.get("scenario") or transcript.path.name
        self.line(self.style.bold(one_line(str(title))))
        self.line(self.style.dim(one_line(_describe_header(header))))
        for line in bot_lines(header):
            self.line(self.style.dim(one_line(line)))
        self.line()
        judgement = transcript.result.judgement if transcript.result else None
        decided_at = judgement.message_index if judgement else None
        for index, message in enumerate(transcript.messages):
            self.message(message)
            if judgement is not None and index == decided_at:
                self.judgement(judgement)
        if transcript.result is not None:
            self.summary(
                transcript.result,
                outcomes=_outcomes(transcript.header),
                real_time=header.get("runner") == "HybridSimulationRunner",
            )
        else:
            self.line()
            count = len(transcript.messages)
            self.line(
                self.style.warn(
                    f"Partial transcript: the run did not finish ({count} messages, no result)."
                )
            )
        for problem in transcript.problems:
            self.line(self.style.warn(one_line(f"warning: {problem}")))


def _outcomes(header: dict[str, Any]) -> Outcomes | None:
    """The scenario's outcomes as the transcript header recorded them."""
    try:
        return from_json(header["outcomes"], Outcomes) if header.get("outcomes") else None
    except (SchemaError, KeyError, TypeError):
        return None


def _silence(out: TextIO) -> None:
    """Point a closed pipe at /dev/null so the interpreter's final flush does not fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _started(value: object) -> str:
    try:
        return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except ValueError:
        return str(value)


_MODES = {"play": "play (a person was the agent)", "connect": "connect (a real bot)"}


def side_description(header: dict[str, Any], role: str) -> str | None:
    """Who played a side, in a reader's words: a person, a bot at a URL, or a kind of simulation."""
    kind = header.get(f"{role}_kind")
    if role == "agent" and kind in ("person", "real", "bot"):
        if kind == "person" or header.get("mode") == "play":
            return "a person (play)"
        url = header.get("bot_url")
        if header.get("demo_bot"):
            return "the built-in demo bot"
        return f"the bot at {url}" if url else "a real bot"
    return None if kind is None else str(kind)


def bot_lines(header: dict[str, Any]) -> list[str]:
    """Where the conversation went (from the header's ``bot`` entry): URL, preset, ids."""
    bot = header.get("bot")
    if not isinstance(bot, dict):
        return []
    where = " ".join(str(bot[key]) for key in ("kind", "url") if bot.get(key))
    extras = [f"preset {bot['preset']}"] if bot.get("preset") else []
    if bot.get("profile"):
        extras.append(f"profile {bot['profile']}")
    lines = [f"bot: {where}" + (f" ({', '.join(extras)})" if extras else "")]
    ids = bot.get("ids")
    if isinstance(ids, dict) and ids:
        lines.append("ids the bot saw: " + ", ".join(f"{k} = {v}" for k, v in ids.items()))
    return lines


def _describe_header(header: dict[str, Any]) -> str:
    parts = []
    for key, label in (
        ("scenario", "scenario"),
        ("seed", "seed"),
        ("runner", "runner"),
        ("started_at", "started"),
        ("customer_kind", "customer"),
        ("agent_kind", "agent"),
        ("llm_model", "model"),
    ):
        value = header.get(key)
        if key == "started_at" and value:
            value = _started(value)
        elif key == "runner" and value == "HybridSimulationRunner":
            value = _MODES.get(str(header.get("mode")), "live chat with a real agent")
        elif key.endswith("_kind") and value:
            value = side_description(header, key.removesuffix("_kind"))
        if value is not None and value != "":
            parts.append(f"{label} {value}")
    return ", ".join(parts) or "no header"
