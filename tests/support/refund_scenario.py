"""The refund scenario that hybrid end-to-end and `convsim connect` tests play with the demo bot."""

from __future__ import annotations

from pathlib import Path

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
settle_seconds = 0.05
response_timeout = {response_timeout}
inactivity_timeout = 3
max_wall_time = 30
typing_delay = false
"""

_RECONNECT = """
[bot.reconnect]
attempts = 2
backoff = 0.3
"""


def refund_toml(*, response_timeout: float = 3, reconnect: bool = False) -> str:
    """The scenario as TOML; ``reconnect`` adds a short reconnect policy for the bot."""
    text = _REFUND_TOML.replace("{response_timeout}", str(response_timeout))
    return text + _RECONNECT if reconnect else text


def refund_file(folder: Path, name: str = "refund.toml", extra: str = "") -> Path:
    """The scenario (without reconnects) written to ``folder/name``, named after the file,
    with ``extra`` TOML appended."""
    path = folder / name
    text = refund_toml(reconnect=False).replace('name = "refund-demo-bot"', f'name = "{path.stem}"')
    path.write_text(text + extra)
    return path
