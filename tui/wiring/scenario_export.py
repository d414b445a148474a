"""Save a session as a scenario file (the command and the transcript viewer share this)."""

from __future__ import annotations

from pathlib import Path

from tui.wiring.errors import UserError


def default_out(transcript: Path) -> Path:
    return transcript.with_suffix(".toml")


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
