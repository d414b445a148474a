"""Whose fault a failed conversation is: the agent under test, the simulator, or the plumbing.

A gate must not blame the bot for the simulated customer's mistakes (on public benchmarks up
to a third of "failures" are the simulated user's), nor for a dropped connection. Only
``agent`` faults count against a pass rate; ``simulator`` and ``infrastructure`` faults are
reported apart and re-run (``convsim test --retries``).

The rules, in order (the first that applies wins):

- ``infrastructure``: the channel failed, the bot or the LLM endpoint timed out, the
  conversation hit its wall-time cap, none of the bot's replies could be read
  (``unreadable_replies``), an LLM call was rate limited or could not connect.
- ``agent`` (first): the agent already missed an expectation in a message before the customer
  left its role (a forbidden phrase it said); the role break cannot excuse that.
- ``simulator``: any other failure of the simulated customer, the judge or a termination
  check (an LLM error, a crash); the customer left its role (spoke as the agent or as an AI);
  a scripted customer ran out of script before an outcome was reached.
- ``agent``: the conversation ran, and missed its expectations (wrong, forbidden or no
  outcome, too long, a missing or forbidden phrase). In a full simulation the simulated agent
  is the agent under test, so its own crashes count here too.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from convsim_core.expectations import ConversationCheck, Finding, FindingKind
from convsim_core.models import ConversationResult, Message, ParticipantRole, TerminationReason


class Fault(enum.StrEnum):
    AGENT = "agent"
    SIMULATOR = "simulator"
    INFRASTRUCTURE = "infrastructure"


UNCOUNTED = (Fault.SIMULATOR, Fault.INFRASTRUCTURE)
"""The faults reported apart and re-run, never counted against the bot's pass rate."""


@attrs.frozen
class Attribution:
    fault: Fault
    reason: str
    message_index: int | None = None


_INFRA_TERMINATIONS = {
    TerminationReason.CHANNEL_ERROR: "channel error",
    TerminationReason.AGENT_TIMEOUT: "the bot did not answer in time",
    TerminationReason.MAX_WALL_TIME: "the conversation hit its wall-time limit",
    # The bot answered in a shape the profile cannot read: the wiring, not the bot's answers.
    TerminationReason.UNREADABLE_REPLIES: "no bot reply could be read (check [bot.reply])",
}
_INFRA_ERROR = re.compile(
    r"rate.?limit|\b429\b|too many requests|timeout|timed out|APIConnectionError|"
    r"ConnectionError|ConnectError|connection (refused|reset)|temporarily unavailable|"
    r"\b50[234]\b|overloaded",
    re.IGNORECASE,
)
_AGENT_ERROR = re.compile(r"the agent's next message|the agent participant", re.IGNORECASE)
_ROLE_BREAK = re.compile(
    # Only what a customer never says: a customer may well complain about "your AI" or "this
    # language model", and blaming the simulator for that would hide the bot's failure.
    r"^\s*(agent|assistant|support agent)\s*:|\bas an ai\b|\bi am an ai\b|\bi'm an ai\b|"
    r"\bas an? (ai )?language model\b|\bhow (can|may) i (help|assist) you\b|"
    r"\banything else (that )?i can (help|assist|do)\b|\bplease confirm (me )?the following\b|"
    r"\byour (appointment|reservation|booking|order|ticket|transfer|payment|ride)"
    r" (is|has been) (confirmed|booked|scheduled|placed|made|cancelled|refunded)\b",
    re.IGNORECASE,
)


def role_break(messages: Sequence[Message]) -> int | None:
    """Index of the first customer message that reads like the agent's (or an AI's) side."""
    for index, message in enumerate(messages):
        if index == 0:
            continue  # the scenario's own opening line is the author's, not the simulator's
        if message.sender is ParticipantRole.CUSTOMER and _ROLE_BREAK.search(message.content):
            return index
    return None


def attribute(
    result: ConversationResult,
    check: ConversationCheck | None,
    messages: Sequence[Message],
    header: Mapping[str, Any] | None = None,
) -> Attribution | None:
    """The fault of a finished conversation, or None when it passed (``check`` passed)."""
    header = header or {}
    reason = result.termination_reason
    if reason in _INFRA_TERMINATIONS:
        assert reason is not None
        detail = _INFRA_TERMINATIONS[reason]
        server_error = _server_error(result.protocol_errors)
        if server_error is not None and reason is not TerminationReason.MAX_WALL_TIME:
            # The bot did answer: with a server error. Waiting for a reply afterwards is a
            # consequence, not the fault; name what the bot said.
            detail = f"protocol error: the bot answered {server_error}"
        return Attribution(Fault.INFRASTRUCTURE, _with_error(detail, result.error))
    if result.error is not None:
        if _INFRA_ERROR.search(result.error):
            return Attribution(Fault.INFRASTRUCTURE, result.error)
        agent_simulated = header.get("agent_kind") not in (None, "real")
        if agent_simulated and _AGENT_ERROR.search(result.error):
            return Attribution(Fault.AGENT, result.error)
        return Attribution(Fault.SIMULATOR, result.error)
    broke = role_break(messages)
    if broke is not None:
        earlier = _agent_finding_before(check, broke)
        if earlier is not None:
            # The agent had already failed before the customer left its role: what came after
            # cannot excuse it, and a re-run would hide a forbidden phrase.
            return Attribution(Fault.AGENT, earlier.detail, earlier.message_index)
        return Attribution(
            Fault.SIMULATOR, f"the simulated customer left its role (message {broke})", broke
        )
    if check is None or check.passed:
        return None
    if (
        header.get("customer_kind") == "scripted"
        and reason is TerminationReason.PARTICIPANT_FINISHED
        and result.termination_detail == "the customer finished"
        and any(f.kind is FindingKind.NO_OUTCOME for f in check.findings)
    ):
        return Attribution(Fault.SIMULATOR, "the scripted customer ran out of script")
    first = check.findings[0]
    return Attribution(Fault.AGENT, check.summary, first.message_index)


def _agent_finding_before(check: ConversationCheck | None, index: int) -> Finding | None:
    """A finding the agent earned in a message before ``index`` (a phrase it said)."""
    if check is None or check.passed:
        return None
    for finding in check.findings:
        if finding.message_index is not None and finding.message_index < index:
            return finding
    return None


_SERVER_ERROR = re.compile(r"^HTTP (5\d\d)\b")


def _server_error(protocol_errors: Sequence[str]) -> str | None:
    """The first HTTP 5xx answer among a conversation's protocol errors, as recorded."""
    for excerpt in protocol_errors:
        if _SERVER_ERROR.match(excerpt):
            return excerpt
    return None


def _with_error(detail: str, error: str | None) -> str:
    return f"{detail}: {error}" if error else detail
