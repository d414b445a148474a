"""Save a session as a scenario file (the command and the transcript viewer share this)."""

from __future__ import annotations

import shlex
from pathlib import Path

from tui.wiring.errors import UserError


def default_out(transcript: Path) -> Path:
    return transcript.with_suffix(".toml")


def check_command(scenario_file: Path) -> str:
    """The command that checks a saved scenario, against its bot when it has a ``[bot]``.

    ``convsim test`` simulates both sides unless a bot is named on the command line, and a
    scenario saved from a connected session expects what the bot did: without ``--profile`` it
    would fail against the offline agent for nothing.
    """
    from convsim_core.scenario import load_scenario

    try:
        has_bot = load_scenario(scenario_file).bot is not None
    except (OSError, ValueError):
        has_bot = False
    name = shlex.quote(str(scenario_file))
    return f"convsim test {name} --profile {name}" if has_bot else f"convsim test {name}"


def save_scenario(transcript: Path, out: Path) -> tuple[Path, bool]:
    """Write and check the scenario; every failure is a one-line :class:`UserError`."""
    from convsim_core.recorded import NothingToReplay
    from convsim_core.scenario_writer import write_scenario
    from convsim_core.serialization import SchemaError

    if not transcript.is_file():
        raise UserError(f"{transcript}: no such transcript file")
    try:
        return write_scenario(transcript, out)
    except NothingToReplay as exc:
        raise UserError(f"{transcript}: {exc}") from None
    except (SchemaError, ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{transcript}: {exc}") from None
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
