"""Ending background tasks: what every session and the demo bot do when they close."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any] | None]) -> None:
    """Cancel the tasks and wait until each has finished, whatever it raised.

    Waiting matters: a task cancelled but not awaited may still be writing to a socket or an
    inbox that its owner is about to release.
    """
    pending = [task for task in tasks if task is not None]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
