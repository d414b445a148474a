"""Turn any failure into a title, a detail line and a hint a person can act on."""

from __future__ import annotations

import attrs

from convsim_core.channel import ChannelError


@attrs.frozen
class ErrorReport:
    title: str
    detail: str
    hint: str = ""


def describe_error(error: BaseException) -> ErrorReport:
    """What went wrong, without a traceback (the log has that, with ``-v``)."""
    from convsim_core.scenario_reader import ScenarioError

    if isinstance(error, ScenarioError):
        return ErrorReport("Scenario problem", str(error), "Fix the scenario file, then press r.")
    if isinstance(error, ChannelError):
        return _unreachable(str(error))
    if isinstance(error, OSError):
        return ErrorReport("System error", f"{type(error).__name__}: {error}")
    return ErrorReport(
        "Unexpected error",
        f"{type(error).__name__}: {error}",
        "Run with -v to log the details; press r to try again.",
    )


def describe_run_failure(detail: str) -> ErrorReport:
    """A conversation that ended in error (the runner caught it: LLM failure, channel error)."""
    if detail.startswith("cannot reach "):
        # The run's first message found no bot (a webhook's 404): the same report as a bot the
        # check before the run could not reach, not "the conversation failed".
        return _unreachable(detail)
    lowered = detail.lower()
    if "llm" in lowered or "openai" in lowered or "api" in lowered:
        hint = "Check the LLM settings and API key, or run the scenario offline."
    elif "channel" in lowered or "connect" in lowered:
        hint = "Check the bot, then press r to retry."
    else:
        hint = "Press r to run it again."
    return ErrorReport("The conversation failed", detail or "unknown error", hint)


def _unreachable(detail: str) -> ErrorReport:
    return ErrorReport(
        "Cannot reach the bot",
        detail,
        "Check that the bot is running and the URL is right, then press r to retry.",
    )
