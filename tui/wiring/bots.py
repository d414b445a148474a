"""Which bot a run talks to: profiles from command-line options, the demo bot, batch targets.

Connect (CLI and TUI), the start screen and batch all resolve their bot here, so the demo bot's
address, the preset defaults and the "which bot?" message are the same everywhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from channels.profile import BotProfile, ProfileError, load_bot_profile, profile_for_url
from tui.wiring.errors import UserError, as_user_error

if TYPE_CHECKING:
    from convsim_core.channel import Channel
    from convsim_core.scenario_models import Scenario

DEMO_PRESETS = {"websocket": "demo-ws", "webhook": "generic-json"}
DEMO_PLACEHOLDER_URL = "http://127.0.0.1:0"
"""Stands for the demo bot's address until it runs (it listens on a free port)."""


def demo_bot_profile(
    base_url: str = DEMO_PLACEHOLDER_URL, *, webhook: bool = False, preset: str | None = None
) -> BotProfile:
    """How to reach the demo bot serving at ``base_url`` (its ``http://host:port``).

    The URL gets no path, so the preset picks the endpoint (``demo-ws`` -> ``/ws``,
    ``rasa-rest`` -> ``/webhooks/rest/webhook``...). Before the bot runs, the placeholder URL
    (port 0) stands in: :func:`start_demo_bot` starts it and this is called again with the
    real one.
    """
    kind = "webhook" if webhook else "websocket"
    url = base_url if webhook else "ws" + base_url.removeprefix("http")
    with as_user_error(ProfileError):
        return profile_for_url(url, kind=kind, preset=preset or DEMO_PRESETS[kind])


def profile_from_options(
    scenario: Scenario,
    *,
    ws: str | None = None,
    webhook: str | None = None,
    profile: Path | None = None,
    preset: str | None = None,
) -> BotProfile:
    """The bot to talk to: the command line first, then the scenario's ``[bot]`` table."""
    with as_user_error(ProfileError):
        if ws:
            return profile_for_url(ws, kind="ws", preset=preset, base=scenario.bot)
        if webhook:
            return profile_for_url(webhook, kind="webhook", preset=preset, base=scenario.bot)
        if profile is not None:
            return load_bot_profile(profile)
        if scenario.bot is not None and "url" in scenario.bot:
            # A [bot] table without a URL only tunes a bot named on the command line.
            return BotProfile.from_mapping(scenario.bot, source=scenario.source)
    raise UserError(
        "which bot? give --ws URL, --webhook URL, --profile BOT.toml or --demo-bot"
        " (or put a [bot] table in the scenario)"
    )


def scenario_bot_or_demo(scenario: Scenario) -> tuple[BotProfile, bool]:
    """The scenario's own bot when its ``[bot]`` table names a URL, else the demo bot.

    The second value says whether the demo bot must be started for the run.
    """
    if scenario.bot is not None and "url" in scenario.bot:
        return BotProfile.from_mapping(scenario.bot, source=scenario.source), False
    return demo_bot_profile(), True


def check_preset_has_target(
    preset: str | None, *, ws: str | None, webhook: str | None, demo_bot: str | None
) -> None:
    if preset and not (ws or webhook or demo_bot):
        raise UserError("--preset needs --ws URL, --webhook URL or --demo-bot")


async def start_demo_bot(stack: contextlib.AsyncExitStack) -> str:
    """Start the demo bot on a free port for as long as ``stack`` lives; its ``http://`` URL."""
    from channels.demo_bot import DemoBotServer

    bot = await stack.enter_async_context(DemoBotServer())
    return bot.url


def demo_bot_like(profile: BotProfile, base_url: str) -> BotProfile:
    """The demo bot at ``base_url``, reached the way ``profile`` says (kind and preset)."""
    return demo_bot_profile(base_url, webhook=profile.kind == "webhook", preset=profile.preset)


async def open_channel(stack: contextlib.AsyncExitStack, profile: BotProfile) -> Channel:
    """A channel to ``profile``'s bot, closed when ``stack`` unwinds; nothing connects yet."""
    from channels.factory import make_channel

    channel = make_channel(profile)
    stack.push_async_callback(channel.close)
    return channel


async def check_reachable(profile: BotProfile) -> None:
    """Fail before the chat starts when the bot cannot be reached (a ChannelError naming it)."""
    from channels.factory import check_reachable as check

    await check(profile)


@attrs.frozen
class BotTarget:
    """Where hybrid batch conversations go: a URL, a bot profile file, or the demo bot."""

    kind: str
    """``ws`` or ``webhook`` (as ``profile_for_url`` takes it); ``profile`` for a file."""
    url: str | None = None
    preset: str | None = None
    demo_bot: bool = False
    profile: str | None = None

    @classmethod
    def from_options(
        cls,
        *,
        ws: str | None,
        webhook: str | None,
        profile: Path | None,
        demo_bot: str | None,
        preset: str | None,
    ) -> BotTarget | None:
        """The target the command line names, or None for full simulations."""
        check_preset_has_target(preset, ws=ws, webhook=webhook, demo_bot=demo_bot)
        if ws:
            return cls("ws", ws, preset)
        if webhook:
            return cls("webhook", webhook, preset)
        if profile:
            return cls("profile", profile=str(profile.resolve()))
        if demo_bot:
            return cls(demo_bot, None, preset, demo_bot=True)
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "preset": self.preset,
            "demo_bot": self.demo_bot,
            "profile": self.profile,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BotTarget:
        return cls(
            kind=str(data["kind"]),
            url=data.get("url"),
            preset=data.get("preset"),
            demo_bot=bool(data.get("demo_bot")),
            profile=data.get("profile"),
        )

    def profiles(
        self, scenarios: Mapping[str, Scenario], demo_url: str | None
    ) -> dict[str, BotProfile]:
        """One bot profile per scenario (a scenario's ``[bot]`` table tunes a URL target)."""
        with as_user_error(ProfileError, OSError):
            if self.demo_bot:
                assert demo_url is not None
                shared = demo_bot_profile(
                    demo_url, webhook=self.kind == "webhook", preset=self.preset
                )
                return dict.fromkeys(scenarios, shared)
            if self.profile is not None:
                return dict.fromkeys(scenarios, load_bot_profile(self.profile))
            assert self.url is not None
            return {
                key: profile_for_url(self.url, kind=self.kind, preset=self.preset, base=sc.bot)
                for key, sc in scenarios.items()
            }
