"""The command that re-runs one conversation of a batch the way it was held.

A full-simulation batch re-runs with ``convsim watch --from DIR/ID``. A hybrid batch talked
to a bot: re-running it with ``watch`` would put the offline agent in the bot's seat, so its
conversations re-run with ``convsim connect`` against the bot the batch recorded.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from convsim_core.batch.manifest import (
    BUILTIN_PREFIX,
    BatchFolderError,
    BatchManifest,
    find_run,
    read_manifest,
    scenario_location,
)


def bot_arguments(bot: Mapping[str, Any] | None) -> list[str]:
    """The ``connect`` options naming the bot a batch recorded in its settings."""
    if not bot:
        return []
    if bot.get("demo_bot"):
        kind = "webhook" if bot.get("kind") == "webhook" else "ws"
        args = ["--demo-bot", kind]
    elif bot.get("profile"):
        return ["--profile", str(bot["profile"])]
    elif bot.get("url"):
        args = ["--webhook" if bot.get("kind") == "webhook" else "--ws", str(bot["url"])]
    else:
        return []
    if bot.get("preset"):
        args += ["--preset", str(bot["preset"])]
    return args


def is_hybrid(manifest: BatchManifest) -> bool:
    return manifest.mode == "hybrid" or bool(manifest.settings.get("bot"))


def rerun_command(folder: str | Path, run_id: str, manifest: BatchManifest | None = None) -> str:
    """A shell command that re-runs conversation ``run_id`` of the batch in ``folder``."""
    folder = Path(folder)
    run_id = run_id.removesuffix(".jsonl")
    try:
        manifest = manifest or read_manifest(folder)
    except BatchFolderError:
        manifest = None
    if manifest is None or not is_hybrid(manifest):
        return f"convsim watch --from {shlex.quote(str(folder / run_id))}"
    run = find_run(manifest, run_id)
    location = scenario_location(folder, manifest, run.scenario)
    bot = manifest.settings.get("bot")
    bot_args = bot_arguments(bot if isinstance(bot, Mapping) else None)
    words = ["convsim", "connect"]
    if not (location == f"{BUILTIN_PREFIX}demo" and bot_args[:1] == ["--demo-bot"]):
        words.append(location.removeprefix(BUILTIN_PREFIX))  # the demo is connect's default
    words += ["--seed", str(run.seed), *bot_args]
    return shlex.join(words)
