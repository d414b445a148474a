"""A fingerprint of everything that decides how a batch's conversations go.

Scenario, bot target, model settings, prompt templates and the convsim version are hashed
separately, so ``--resume`` can refuse to mix results of a changed configuration *and* say
what changed. The combined per-scenario hash goes into every transcript header
(``batch.config_hash``) and the summary, so two transcripts can be told apart at a glance.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from convsim_core.scenario_models import Scenario

_PROMPT_MODULES = (
    "convsim_core.llm.participant",
    "convsim_core.llm.judge",
    "convsim_core.llm.checks",
    "convsim_core.llm.prompting",
)


def _digest(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@functools.cache
def convsim_version() -> str:
    """The installed convsim's version (read once: looking it up costs half a millisecond,
    and every conversation's header carries it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("convsim")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


@functools.cache
def prompts_hash() -> str:
    """The prompt templates convsim sends to LLMs (the modules that hold them, read as text
    so hashing never imports LangChain)."""
    parts = []
    for name in _PROMPT_MODULES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        parts.append(Path(origin).read_text(encoding="utf-8") if origin else name)
    return _digest("\n".join(parts))


def scenario_hash(scenario: Scenario) -> str:
    """What the scenario says, not where it lives (a moved file is the same scenario)."""
    return _digest(repr(attrs.evolve(scenario, path=None)))


def model_hash(scenario: Scenario, use_llm: bool | None) -> str:
    settings = scenario.llm.with_env()
    return _digest(
        {
            "model": settings.model,
            "base_url": settings.base_url,
            "api_key_env": settings.api_key_env,
            "temperature": settings.temperature,
            "timeout_seconds": settings.timeout_seconds,
            "max_retries": settings.max_retries,
            # Whether an API key is set decides who plays an "llm" side, unless --offline.
            "llm_configured": settings.is_configured() if use_llm is not False else None,
            "use_llm": use_llm,
        }
    )


def run_config_hash(scenario: Scenario, use_llm: bool | None) -> str:
    """One conversation's fingerprint without the bot (the header's top-level ``config_hash``;
    batch transcripts also carry ``batch.config_hash``, which adds the bot target)."""
    return _digest(
        {
            "convsim": convsim_version(),
            "prompts": prompts_hash(),
            "scenario": scenario_hash(scenario),
            "model": model_hash(scenario, use_llm),
        }
    )


def bot_hash(target: Mapping[str, Any] | None) -> str:
    if target is None:
        return _digest("full simulation")
    data = dict(target)
    profile = data.get("profile")
    if profile:
        try:
            data["profile_text"] = Path(profile).read_text(encoding="utf-8")
        except OSError:
            data["profile_text"] = None
    return _digest(data)


def batch_config(
    scenarios: Mapping[str, Scenario],
    *,
    target: Mapping[str, Any] | None,
    use_llm: bool | None,
) -> dict[str, Any]:
    """The ``config`` entry of a batch's settings (manifest and summary)."""
    common = {"convsim": convsim_version(), "prompts": prompts_hash(), "bot": bot_hash(target)}
    per_scenario: dict[str, dict[str, str]] = {}
    for key, scenario in scenarios.items():
        parts = {"scenario": scenario_hash(scenario), "model": model_hash(scenario, use_llm)}
        parts["hash"] = _digest({**common, **parts})
        per_scenario[key] = parts
    return {
        **common,
        "scenarios": per_scenario,
        "hash": _digest({**common, "scenarios": per_scenario}),
    }


def scenario_config_headers(settings: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Per scenario key, what its transcripts' headers say about the configuration."""
    config = settings.get("config")
    if not isinstance(config, Mapping):
        return {}
    scenarios = config.get("scenarios")
    if not isinstance(scenarios, Mapping):
        return {}
    return {
        str(key): {"config_hash": str(parts.get("hash"))}
        for key, parts in scenarios.items()
        if isinstance(parts, Mapping)
    }


def describe_change(old: Any, new: Any) -> str | None:
    """What differs between two ``batch_config`` results, in words; None when nothing does
    (or when either side predates config hashes)."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return None
    if old.get("hash") == new.get("hash"):
        return None
    changes: list[str] = []
    if old.get("convsim") != new.get("convsim"):
        changes.append(f"convsim version ({old.get('convsim')} -> {new.get('convsim')})")
    if old.get("prompts") != new.get("prompts"):
        changes.append("the LLM prompt templates")
    if old.get("bot") != new.get("bot"):
        changes.append("the bot (target URL, preset or profile)")
    old_sc = old.get("scenarios") or {}
    new_sc = new.get("scenarios") or {}
    for key in dict.fromkeys([*old_sc, *new_sc]):
        before, after = old_sc.get(key) or {}, new_sc.get(key) or {}
        if before.get("scenario") != after.get("scenario"):
            changes.append(f"scenario {key!r}")
        if before.get("model") != after.get("model"):
            changes.append(f"the model settings of scenario {key!r}")
    if not changes:
        return "the configuration hash"
    return "changed: " + ", ".join(changes)
