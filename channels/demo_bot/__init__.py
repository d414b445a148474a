"""convsim's built-in demo bot: a rule-based support agent served over every supported protocol.

``DemoBotBrain`` is the pure dialogue logic; ``DemoBotServer`` serves it on one aiohttp port
(WebSocket JSON and plain text, sync and callback webhooks, Rasa REST, Bot Framework) so the
embedded demo and the tests have a well-behaved peer with no external service.
"""

from channels.demo_bot.brain import DemoBotBrain
from channels.demo_bot.server import DemoBotServer

__all__ = ["DemoBotBrain", "DemoBotServer"]
