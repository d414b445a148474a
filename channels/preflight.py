"""Refuse at the start what cannot work: a callback port that is taken, or taken twice.

A profile with a fixed callback port used by two scenarios of a batch made 50 of 50 runs fail
with "address already in use", one by one; a port another program holds made ``connect`` report
"lost the bot" at exit 1. Both are known before the first message is sent.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping

from channels.profile import BotProfile
from convsim_core.channel import ChannelError


class ListenError(ChannelError):
    """convsim cannot open its callback server: a local setup problem, not the bot's."""


def fixed_callback_port(profile: BotProfile) -> tuple[str, int] | None:
    if profile.kind != "webhook" or profile.response_mode != "callback":
        return None
    if profile.callback.port == 0:
        return None
    return profile.callback.host, profile.callback.port


def callback_port_clash(profiles: Mapping[str, BotProfile]) -> str | None:
    """Why these per-scenario channels cannot all open their callback servers (None: they can).

    Scenarios with an identical profile share one channel (one server); different profiles
    with the same fixed port would each try to listen on it.
    """
    users: dict[tuple[str, int], dict[BotProfile, list[str]]] = {}
    for key, profile in profiles.items():
        address = fixed_callback_port(profile)
        if address is not None:
            users.setdefault(address, {}).setdefault(profile, []).append(key)
    for (host, port), by_profile in users.items():
        if len(by_profile) > 1:
            names = ", ".join(keys[0] for keys in by_profile.values())
            return (
                f"callback port {host}:{port} is set for differently configured scenarios"
                f" ({names}); each needs its own callback server: use port = 0 (any free port)"
                " or give them the same [bot] settings"
            )
    return None


def token_conversation_clash(
    profiles: Mapping[str, BotProfile], conversations: Mapping[str, int]
) -> str | None:
    """Why a Direct Line token cannot serve this batch (None: it can, or no token is used).

    A token is for one conversation; every further one would fail, one by one, mid-batch.
    ``conversations`` is the number of conversations per profile key.
    """
    users: dict[str, int] = {}
    for key, profile in profiles.items():
        name = profile.directline.token_env if profile.kind == "directline" else None
        if name is not None:
            users[name] = users.get(name, 0) + conversations.get(key, 0)
    for name, count in users.items():
        if count > 1:
            return (
                f"a Direct Line token (${name}) is for one conversation and this batch has"
                f" {count}: use secret_env (the Direct Line secret) or --runs 1"
            )
    return None


def check_can_listen(profile: BotProfile) -> None:
    """Raise :class:`ListenError` when the profile's fixed callback port cannot be bound now."""
    address = fixed_callback_port(profile)
    if address is None:
        return
    host, port = address
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise ListenError(f"cannot listen on {host}:{port} for the bot's callbacks: {exc}") from exc
    family, kind, proto, _name, sockaddr = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(sockaddr)
        except OSError as exc:
            raise ListenError(
                f"cannot listen on {host}:{port} for the bot's callbacks:"
                f" {exc.strerror or exc} (another program, or another convsim, uses it)"
            ) from exc
