"""The refund scenario that hybrid end-to-end and `convsim connect` tests play with the demo bot."""

from __future__ import annotations

from pathlib import Path

from tests.support.timeouts import MS

_REFUND_TOML = """
name = "refund-demo-bot"
title = "Refund a double charge from the demo bot"
max_messages = 20
seed = 3

[[intents]]
role = "customer"
description = "Get the duplicate subscription payment refunded."

[initial_message]
sender = "customer"
content = "Hi, I was charged twice for my subscription this month. Can you refund one of them?"

[customer]
kind = "offline"
[customer.facts]
email = "dana.whitfield@example.com"
[customer.offline]
satisfied_when = ["has been refunded", "refunded the duplicate charge"]

[[outcomes]]
name = "resolved"
description = "The duplicate payment was refunded."
keywords = ["has been refunded", "refunded the duplicate charge"]
said_by = "agent"

[[outcomes]]
name = "escalated"
description = "Handed to a person."
keywords = ["connect you with"]
said_by = "agent"

[termination]
terminal_outcomes = ["resolved", "escalated"]
settle_seconds = {settle_seconds}
response_timeout = {response_timeout}
inactivity_timeout = {inactivity_timeout}
max_wall_time = {max_wall_time}
typing_delay = false
"""

_RECONNECT = """
[bot.reconnect]
attempts = 2
backoff = {backoff}
"""


def refund_toml(*, response_timeout: float = 3000 * MS, reconnect: bool = False) -> str:
    """The scenario as TOML; ``reconnect`` adds a short reconnect policy for the bot.

    Its limits and waits are in the tests' time unit (:mod:`tests.support.timeouts`).
    """
    text = _REFUND_TOML
    for key, seconds in {
        "settle_seconds": 50 * MS,
        "response_timeout": response_timeout,
        "inactivity_timeout": 3000 * MS,
        "max_wall_time": 30_000 * MS,
    }.items():
        text = text.replace(f"{{{key}}}", repr(float(seconds)))
    reconnect_table = _RECONNECT.replace("{backoff}", repr(300 * MS))
    return text + reconnect_table if reconnect else text


def refund_file(folder: Path, name: str = "refund.toml", extra: str = "") -> Path:
    """The scenario (without reconnects) written to ``folder/name``, named after the file,
    with ``extra`` TOML appended."""
    path = folder / name
    text = refund_toml(reconnect=False).replace('name = "refund-demo-bot"', f'name = "{path.stem}"')
    path.write_text(text + extra)
    return path
