"""From a bot profile to a working channel: the one place that picks the transport."""

from __future__ import annotations

from channels.health import check_reachable
from channels.profile import BotProfile, profile_for_url
from channels.webhook import WebhookChannel
from channels.websocket import WebSocketChannel
from convsim_core.channel import Channel

__all__ = ["check_reachable", "make_channel", "profile_for_url"]


def make_channel(profile: BotProfile) -> Channel:
    """The channel for the profile's kind; nothing connects yet."""
    if profile.kind == "websocket":
        return WebSocketChannel(profile)
    if profile.kind == "webhook":
        return WebhookChannel(profile)
    if profile.kind == "socketio":
        from channels.socketio import SocketIOChannel

        return SocketIOChannel(profile)
    if profile.kind == "directline":
        from channels.directline import DirectLineChannel

        return DirectLineChannel(profile)
    raise ValueError(f"no channel for bot kind {profile.kind!r}")
