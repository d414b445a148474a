"""Replay one recorded conversation against a bot (headless; the command and the TUI share it).

The recorded customer becomes a scripted one (:mod:`convsim_core.recorded`) and the run is an
ordinary connect run through :mod:`tui.wiring.runs`: the same channel, settling, timeouts,
judge and transcript as ``convsim connect``. Recorded timing waits the recorded gap before each
customer message; ``fast`` sends each as soon as the bot has settled.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from convsim_core.persistence import Transcript, read_transcript
from convsim_core.replay import ReplayComparison, compare
from tui.wiring.errors import UserError

if TYPE_CHECKING:
    from channels.profile import BotProfile
    from convsim_core.scenario_models import Scenario
    from tui.wiring.bots import BotChoice


def transcripts_in(target: Path) -> list[Path]:
    """The transcript itself, or every transcript of a folder (sorted by name)."""
    if target.is_dir():
        found = sorted(p for p in target.glob("*.jsonl") if p.is_file())
        if not found:
            raise UserError(f"{target}: no transcripts (*.jsonl) in this folder")
        return found
    if not target.exists():
        raise UserError(f"{target}: no such transcript file or folder")
    return [target]


def read(path: Path) -> Transcript:
    from convsim_core.serialization import SchemaError

    try:
        return read_transcript(path)
    except (OSError, UnicodeDecodeError, SchemaError) as exc:
        raise UserError(f"{path}: cannot read the transcript: {exc}") from None


def scenario_of(transcript: Transcript, given: Path | None = None) -> Scenario:
    from tui.wiring.scenarios import resolve_scenario

    if given is not None:
        return resolve_scenario(str(given))
    header = transcript.header
    path = header.get("scenario_path")
    if isinstance(path, str) and path and Path(path).exists():
        return resolve_scenario(path)
    name = header.get("scenario")
    if not name:
        raise UserError(f"{transcript.path}: the transcript does not say which scenario it ran")
    return resolve_scenario(str(name))


def bot_for(
    transcript: Transcript, scenario: Scenario, choice: BotChoice
) -> tuple[BotProfile, bool]:
    """The bot to replay against, and whether it is the demo bot to start."""
    from tui.wiring.bots import recorded_bot

    if choice.given:
        return choice.bot_for(scenario)
    recorded = recorded_bot(transcript.header, scenario)
    if recorded is not None:
        return recorded
    return choice.profile_for(scenario), False


async def replay_one(
    path: Path,
    choice: BotChoice,
    *,
    fast: bool,
    runs_root: Path | None = None,
    event_callback: Any = None,
) -> ReplayComparison:
    """Replay ``path`` and compare; a bot that fails mid-way is recorded as the error."""
    from convsim_core.builder import default_transcript_path
    from convsim_core.channel import ChannelError
    from convsim_core.hybrid_builder import hybrid_timing
    from convsim_core.recorded import (
        NothingToReplay,
        RecordedGaps,
        customer_script,
        scripted_scenario,
    )
    from convsim_core.scenario import ScenarioError
    from convsim_core.timing import NoDelay
    from tui.wiring.errors import as_user_error
    from tui.wiring.runs import RunWiring, never_reached, open_bot_run

    transcript = read(path)
    scenario = scenario_of(transcript)
    try:
        script = customer_script(transcript.messages)
    except NothingToReplay as exc:
        raise UserError(f"{path}: {exc}") from None
    replayed = scripted_scenario(scenario, script)
    profile, demo_bot = bot_for(transcript, scenario, choice)
    seed = transcript.header.get("seed")
    seed = seed if isinstance(seed, int) else scenario.seed
    timing = hybrid_timing(replayed, seed=seed)
    delay = NoDelay() if fast else RecordedGaps(script.gaps)
    out = default_transcript_path(replayed, seed, runs_root)
    wiring = RunWiring(
        replayed,
        seed,
        out,
        event_callback=event_callback,
        timing=attrs.evolve(timing, typing_delay=delay),
        header_extra={"replay_of": str(path), "replay_fast": fast},
    )
    with as_user_error(ChannelError, ScenarioError):
        run = await open_bot_run(wiring, profile, demo_bot=demo_bot)
    try:
        result = await run.runner.run()
    finally:
        await run.close()
    if never_reached(result):
        # No bot at the URL (a webhook's 404 on the first message): one line and exit 2, as the
        # check before the run says it, not every recorded turn listed as "changed".
        raise UserError(str(result.error))
    recorded = transcript.result.conversation.outcome if transcript.result else None
    new = result.conversation.outcome
    return compare(
        path,
        transcript.messages,
        result.conversation.messages,
        recorded_outcome=recorded.name if recorded else None,
        new_outcome=new.name if new else None,
        new_transcript=out,
        error=result.error,
    )
