"""Named starting points for a bot profile, written in the same layout as a ``[bot]`` table.

A preset is plain data merged *under* whatever the user writes, so every preset setting can be
overridden key by key. Each preset also names the path its endpoint usually lives at: a URL given
with no path at all (``http://localhost:5005``) gets it appended.

The presets themselves are in ``presets.toml`` beside this module, written as the ``[bot]``
table of a profile would be, so what a preset sets reads the way a user would override it.
"""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from typing import Any

import attrs


@attrs.frozen
class Preset:
    name: str
    description: str
    kind: str
    default_path: str
    settings: dict[str, Any] = attrs.field(eq=False, hash=False)
    callback_settings: dict[str, Any] | None = attrs.field(default=None, eq=False, hash=False)
    """Merged over ``settings`` when the profile says ``response_mode = "callback"``."""
    callback_path: str | None = None

    @classmethod
    def from_table(cls, name: str, table: dict[str, Any]) -> Preset:
        """One table of ``presets.toml``; a wrong key is a packaging bug, so it fails loudly."""
        return cls(
            name=name,
            description=table["description"],
            kind=table["kind"],
            default_path=table["default_path"],
            settings=table["settings"],
            callback_settings=table.get("callback_settings"),
            callback_path=table.get("callback_path"),
        )


def _load() -> dict[str, Preset]:
    text = resources.files("channels").joinpath("presets.toml").read_text(encoding="utf-8")
    return {name: Preset.from_table(name, table) for name, table in tomllib.loads(text).items()}


PRESETS: dict[str, Preset] = _load()
"""By name, in the order ``presets.toml`` lists them."""

DEFAULT_PRESET = {
    "webhook": "generic-json",
    "websocket": "generic-ws",
    "socketio": "rasa-socketio",
    "directline": "directline",
}
"""Used when a profile names no preset: the generic form for its kind (never the demo bot's
multiplexed protocol, which only ``preset = "demo-ws"`` asks for)."""


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(
            f"unknown preset {name!r}; expected one of {', '.join(sorted(PRESETS))}"
        ) from None


def preset_settings(name: str, *, response_mode: str | None = None) -> dict[str, Any]:
    """A fresh copy of the preset's settings (the callback variant if asked for and available)."""
    preset = get_preset(name)
    settings = copy.deepcopy(preset.settings)
    if response_mode == "callback" and preset.callback_settings is not None:
        for key, value in copy.deepcopy(preset.callback_settings).items():
            settings[key] = value
    return settings


def preset_path(name: str, *, response_mode: str | None = None) -> str:
    preset = get_preset(name)
    if response_mode == "callback" and preset.callback_path is not None:
        return preset.callback_path
    return preset.default_path
