"""What ``convsim batch`` checks before its first conversation, and how it probes a lost bot.

Each check turns a failure that used to repeat once per conversation (a traceback per run for
``--llm`` without a key, "address already in use" 50 times) into one line at the start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tui.wiring.errors import UserError

if TYPE_CHECKING:
    from channels.profile import BotProfile
    from convsim_core.scenario_models import Scenario


def check_llm_keys(scenarios: Iterable[Scenario], use_llm: bool | None) -> None:
    """``--llm`` (or a recorded ``use_llm``) with no API key: one line, not one per run."""
    if use_llm is not True:
        return
    from convsim_core.builder import llm_available

    for scenario in scenarios:
        sides = (scenario.customer, scenario.agent)
        if all(side.kind == "scripted" for side in sides) or llm_available(scenario):
            continue
        key = scenario.llm.api_key_env
        raise UserError(
            f"--llm needs an API key for scenario {scenario.name}: set {key}"
            " (and OPENAI_BASE_URL if needed), or run with --offline"
        )


def check_channel_setup(
    profiles: Mapping[str, BotProfile], conversations: Mapping[str, int] | None = None
) -> None:
    """A callback port two scenarios would both open, or one that is taken, or a Direct Line
    token (one conversation) for many conversations: exit 2 now."""
    from channels.preflight import (
        ListenError,
        callback_port_clash,
        check_can_listen,
        token_conversation_clash,
    )

    clash = callback_port_clash(profiles)
    if clash is None and conversations is not None:
        clash = token_conversation_clash(profiles, conversations)
    if clash is not None:
        raise UserError(clash)
    for profile in set(profiles.values()):
        try:
            check_can_listen(profile)
        except ListenError as exc:
            raise UserError(str(exc)) from None


def recorded_concurrency(settings: Mapping[str, Any]) -> int | None:
    """The concurrency a batch was started with, when its manifest recorded a sane one."""
    value = settings.get("concurrency")
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100_000:
        return value
    return None


def bot_probe(profiles: Mapping[str, BotProfile]) -> Callable[[], Awaitable[bool]]:
    """Whether every bot of the batch answers again (what the outage pause waits for)."""
    unique = list({profile.url: profile for profile in profiles.values()}.values())

    async def probe() -> bool:
        from channels.factory import check_reachable
        from convsim_core.channel import ChannelError

        for profile in unique:
            try:
                await check_reachable(profile)
            except ChannelError:
                return False
        return True

    return probe
