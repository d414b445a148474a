"""Every example scenario reaches its intended outcome offline and against the demo bot."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from channels import make_channel, profile_for_url
from channels.demo_bot import DemoBotServer
from convsim_core.builder import build_full_runner
from convsim_core.hybrid_builder import build_hybrid_runner
from convsim_core.runners.hybrid import HybridTiming
from convsim_core.scenario import load_scenario
from tests.support.timeouts import MS, TIMEOUT

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples", "scenarios").glob("*.toml"))
_INTENDED = re.compile(r'^# Intended outcome offline: "([a-z_]+)"', re.MULTILINE)


def _intended(path: Path) -> str:
    found = _INTENDED.search(path.read_text(encoding="utf-8"))
    assert found, f"{path.name} must say its intended outcome in a header comment"
    return found.group(1)


@pytest.fixture
async def bot() -> AsyncIterator[DemoBotServer]:
    async with DemoBotServer() as server:
        yield server


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
async def test_example_reaches_its_outcome_offline(path: Path) -> None:
    result = await build_full_runner(load_scenario(path), use_llm=False).run()
    outcome = result.conversation.outcome
    assert outcome is not None and outcome.name == _intended(path), result.termination_detail


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
async def test_example_reaches_its_outcome_against_the_demo_bot(
    path: Path, bot: DemoBotServer
) -> None:
    channel = make_channel(profile_for_url(bot.ws_url, kind="ws", preset="demo-ws"))
    timing = HybridTiming(
        settle_seconds=50 * MS,
        response_timeout=3000 * MS,
        inactivity_timeout=3000 * MS,
        max_wall_time=30_000 * MS,
    )
    runner = build_hybrid_runner(load_scenario(path), channel, use_llm=False, timing=timing)
    try:
        result = await asyncio.wait_for(runner.run(), TIMEOUT * 8)
    finally:
        await channel.close()
    outcome = result.conversation.outcome
    assert outcome is not None and outcome.name == _intended(path), [
        m.content for m in result.conversation.messages
    ]
