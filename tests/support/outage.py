"""A short bot outage in the middle of a batch: the demo bot stops, and a new one starts on the
same port a moment later (what a redeploy looks like to convsim)."""

from __future__ import annotations

import asyncio

from channels.demo_bot import DemoBotServer
from tests.support.timeouts import MS


async def restart(bot: DemoBotServer, port: int, away: float = 1000 * MS) -> DemoBotServer:
    """Stop ``bot``, wait ``away`` seconds, and return a new demo bot started on ``port``."""
    await bot.stop()
    await asyncio.sleep(away)
    fresh = DemoBotServer(port=port)
    await fresh.start()
    return fresh
