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
from convsim_core.serialization import SchemaError, structure_record, unstructure
from tui.wiring.errors import UserError, as_user_error

if TYPE_CHECKING:
    from convsim_core.channel import Channel
    from convsim_core.scenario_models import Scenario

DEMO_PRESETS = {
    "websocket": "demo-ws",
    "webhook": "generic-json",
    "socketio": "rasa-socketio",
    "directline": "directline",
}
_DEMO_KINDS = {"ws": "websocket"}
URL_OPTIONS = ("ws", "webhook", "socketio", "directline")
"""The options that name a bot by URL; each is also the bot kind ``profile_for_url`` takes."""
_WHICH = "--ws URL, --webhook URL, --socketio URL, --directline URL"
DEMO_PLACEHOLDER_URL = "http://127.0.0.1:0"
"""Stands for the demo bot's address until it runs (it listens on a free port)."""


def demo_bot_profile(
    base_url: str = DEMO_PLACEHOLDER_URL,
    *,
    webhook: bool = False,
    preset: str | None = None,
    kind: str | None = None,
) -> BotProfile:
    """How to reach the demo bot serving at ``base_url`` (its ``http://host:port``).

    ``kind`` is the transport (``ws``/``websocket``, ``webhook``, ``socketio``, ``directline``;
    ``webhook=True`` is the older spelling). The URL gets no path, so the preset picks the
    endpoint (``demo-ws`` -> ``/ws``, ``rasa-rest`` -> ``/webhooks/rest/webhook``, ``chainlit``
    -> ``/ws/socket.io``...). Before the bot runs, the placeholder URL (port 0) stands in:
    :func:`start_demo_bot` starts it and this is called again with the real one.
    """
    asked = kind
    kind = _DEMO_KINDS.get(kind or "", kind) or ("webhook" if webhook else "websocket")
    if preset:
        _check_demo_preset(preset, kind, asked or kind)
    url = "ws" + base_url.removeprefix("http") if kind == "websocket" else base_url
    # The demo's Direct Line front takes anyone: no secret to set for an offline demo.
    base = {"directline": {"secret_env": ""}} if kind == "directline" else None
    with as_user_error(ProfileError):
        return profile_for_url(url, kind=kind, preset=preset or DEMO_PRESETS[kind], base=base)


def _check_demo_preset(preset: str, kind: str, asked: str) -> None:
    """A preset of another transport: one line before the demo bot starts (no "port 0" URL)."""
    from channels.presets import PRESETS

    spec = PRESETS.get(preset)
    if spec is None or spec.kind == kind:
        return  # an unknown name gets the profile's "unknown preset" error
    fitting = ", ".join(sorted(name for name, p in PRESETS.items() if p.kind == kind))
    raise UserError(
        f"--preset {preset} is for {spec.kind} bots, but --demo-bot {asked} speaks {kind}"
        f" (its presets: {fitting})"
    )


@attrs.frozen
class BotChoice:
    """The bot options of a command line (``add_bot_options``); all None: none was given.

    Connect, replay and batch read them here, so every command checks ``--preset`` and turns
    the options into a profile or a batch target the same way.
    """

    url: tuple[str, str] | None = None
    """The URL option given, as (kind, URL): the kind is the option's name (``URL_OPTIONS``;
    argparse lets only one through)."""
    profile: Path | None = None
    demo_bot: str | None = None
    preset: str | None = None

    @classmethod
    def from_args(cls, args: Any) -> BotChoice:
        """The options ``args`` (an ``argparse.Namespace``) holds; a missing one is None."""
        urls = [(kind, url) for kind in URL_OPTIONS if (url := getattr(args, kind, None))]
        return cls(
            urls[0] if urls else None,
            getattr(args, "profile", None),
            getattr(args, "demo_bot", None),
            getattr(args, "preset", None),
        )

    @property
    def given(self) -> bool:
        """A bot is named (a URL, a profile file or the demo bot), not only a preset."""
        return self.url is not None or bool(self.profile or self.demo_bot)

    def check_preset(self) -> None:
        """``--preset`` names how to talk to a bot, not which: alone it is a usage error."""
        if self.preset and self.url is None and not self.demo_bot:
            raise UserError(f"--preset needs {_WHICH} or --demo-bot")

    def bot_for(self, scenario: Scenario) -> tuple[BotProfile, bool]:
        """The bot to talk to, and whether it is the demo bot (to be started for the run)."""
        if self.demo_bot:
            return demo_bot_profile(kind=self.demo_bot, preset=self.preset), True
        return self.profile_for(scenario), False

    def profile_for(self, scenario: Scenario) -> BotProfile:
        """The bot to talk to: the command line first, then the scenario's ``[bot]`` table."""
        named = self.url
        with as_user_error(ProfileError):
            if named is not None:
                kind, url = named
                return profile_for_url(url, kind=kind, preset=self.preset, base=scenario.bot)
            if self.profile is not None:
                return load_bot_profile(self.profile)
            if scenario.bot is not None and "url" in scenario.bot:
                # A [bot] table without a URL only tunes a bot named on the command line.
                return BotProfile.from_mapping(scenario.bot, source=scenario.source)
        raise UserError(
            f"which bot? give {_WHICH}, --profile BOT.toml or --demo-bot"
            " (or put a [bot] table in the scenario)"
        )


def recorded_bot(header: Mapping[str, Any], scenario: Scenario) -> tuple[BotProfile, bool] | None:
    """The bot a saved session was held with, from its header (None: no bot was recorded).

    Replay and a branch of a connected session go back to that bot unless told otherwise. The
    second value says whether it was the demo bot, which is started again for the run. The
    recorded transport picks the channel: a Socket.IO or Direct Line session is not replayed
    over a WebSocket.
    """
    transport = str(header.get("bot_transport") or "")
    kind = {"websocket": "ws"}.get(transport, transport)
    kind = kind if kind in URL_OPTIONS else "ws"
    preset = str(header.get("bot_preset") or "") or None
    if header.get("demo_bot"):
        return demo_bot_profile(kind=kind, preset=preset), True
    url = header.get("bot_url")
    if not isinstance(url, str) or not url:
        return None
    with as_user_error(ProfileError):
        return profile_for_url(url, kind=kind, preset=preset, base=scenario.bot), False


def scenario_bot_or_demo(scenario: Scenario) -> tuple[BotProfile, bool]:
    """The scenario's own bot when its ``[bot]`` table names a URL, else the demo bot.

    The second value says whether the demo bot must be started for the run.
    """
    if scenario.bot is not None and "url" in scenario.bot:
        return BotProfile.from_mapping(scenario.bot, source=scenario.source), False
    return demo_bot_profile(), True


async def start_demo_bot(stack: contextlib.AsyncExitStack) -> str:
    """Start the demo bot on a free port for as long as ``stack`` lives; its ``http://`` URL."""
    from channels.demo_bot import DemoBotServer

    bot = await stack.enter_async_context(DemoBotServer())
    return bot.url


def demo_bot_like(profile: BotProfile, base_url: str) -> BotProfile:
    """The demo bot at ``base_url``, reached the way ``profile`` says (kind and preset)."""
    return demo_bot_profile(base_url, kind=profile.kind, preset=profile.preset)


async def open_channel(stack: contextlib.AsyncExitStack, profile: BotProfile) -> Channel:
    """A channel to ``profile``'s bot, closed when ``stack`` unwinds; nothing connects yet."""
    from channels.factory import make_channel

    channel = make_channel(profile)
    stack.push_async_callback(channel.close)
    return channel


async def check_reachable(profile: BotProfile) -> None:
    """Fail before the chat starts when the bot cannot be reached (a ChannelError naming it)."""
    from channels.factory import check_reachable as check
    from channels.preflight import check_can_listen

    check_can_listen(profile)  # our own callback port first: "cannot listen on ...", exit 2
    await check(profile)


@attrs.frozen
class BotTarget:
    """Where hybrid batch conversations go: a URL, a bot profile file, or the demo bot."""

    kind: str
    """``ws``, ``webhook``, ``socketio`` or ``directline`` (as ``profile_for_url`` takes it);
    ``profile`` for a file."""
    url: str | None = None
    preset: str | None = None
    demo_bot: bool = False
    profile: str | None = None

    @classmethod
    def from_choice(cls, choice: BotChoice) -> BotTarget | None:
        """The target the command line names, or None for full simulations."""
        choice.check_preset()
        named = choice.url
        if named is not None:
            return cls(*named, choice.preset)
        if choice.profile:
            return cls("profile", profile=str(choice.profile.resolve()))
        demo_bot, preset = choice.demo_bot, choice.preset
        if demo_bot:
            if preset:  # before a batch folder is made
                _check_demo_preset(preset, _DEMO_KINDS.get(demo_bot, demo_bot), demo_bot)
            return cls(demo_bot, None, preset, demo_bot=True)
        return None

    def to_dict(self) -> dict[str, Any]:
        """As a batch manifest records it (``settings.bot``)."""
        return unstructure(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BotTarget:
        """What :meth:`to_dict` wrote; ``SchemaError`` (a ValueError) when it is not that."""
        problem = bot_target_problem(data)
        if problem is not None:
            raise SchemaError(f"batch.json: settings.bot: {problem} (not a bot target)")
        return structure_record(data, cls, what="bot target")

    def profiles(
        self, scenarios: Mapping[str, Scenario], demo_url: str | None
    ) -> dict[str, BotProfile]:
        """One bot profile per scenario (a scenario's ``[bot]`` table tunes a URL target)."""
        with as_user_error(ProfileError, OSError):
            if self.demo_bot:
                assert demo_url is not None
                shared = demo_bot_profile(demo_url, kind=self.kind, preset=self.preset)
                return dict.fromkeys(scenarios, shared)
            if self.profile is not None:
                return dict.fromkeys(scenarios, load_bot_profile(self.profile))
            assert self.url is not None
            return {
                key: profile_for_url(self.url, kind=self.kind, preset=self.preset, base=sc.bot)
                for key, sc in scenarios.items()
            }


def bot_target_problem(data: Mapping[str, Any]) -> str | None:
    """Why a recorded bot target cannot be used (a hand-edited or corrupt manifest)."""
    kind = data.get("kind")
    if kind not in ("ws", "webhook", "websocket", "socketio", "directline", "profile"):
        return (
            "kind must be 'ws', 'webhook', 'websocket', 'socketio', 'directline' or 'profile',"
            f" got {kind!r}"
        )
    for key in ("url", "preset", "profile"):
        if data.get(key) is not None and not isinstance(data.get(key), str):
            return f"{key} must be a string, got {data.get(key)!r}"
    if data.get("demo_bot"):
        return None
    if kind == "profile" and not data.get("profile"):
        return "kind 'profile' needs the profile file"
    if kind != "profile" and not data.get("url"):
        return f"kind {kind!r} needs a url"
    return None
