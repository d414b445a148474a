"""Everything on the wire: channels that connect convsim to real agents (bots, people).

``convsim_core`` defines the :class:`~convsim_core.channel.Channel` interface; this package owns
the sockets. Start from a :class:`BotProfile` (a TOML ``[bot]`` table, a preset, or a URL) and
:func:`make_channel`.
"""

from channels.factory import check_reachable, make_channel
from channels.presets import PRESETS
from channels.profile import BotProfile, ProfileError, load_bot_profile, profile_for_url
from channels.webhook import WebhookChannel
from channels.websocket import WebSocketChannel

__all__ = [
    "PRESETS",
    "BotProfile",
    "ProfileError",
    "WebSocketChannel",
    "WebhookChannel",
    "check_reachable",
    "load_bot_profile",
    "make_channel",
    "profile_for_url",
]
