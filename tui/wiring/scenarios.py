"""Scenario arguments as every command takes them, and the command-line overrides on top.

Files, folders of files and built-in names resolve the same way everywhere; a scenario
problem is a :class:`UserError` carrying the reader's own message (file, line, closest key).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from convsim_core.batch.manifest import BUILTIN_PREFIX
from convsim_core.scenario import (
    ScenarioError,
    builtin_scenario,
    list_builtin_scenarios,
    list_scenarios,
    load_scenario,
)
from tui.wiring.errors import UserError, as_user_error

if TYPE_CHECKING:
    from convsim_core.scenario_models import Scenario


def resolve_scenario(name: str) -> Scenario:
    """A scenario file when ``name`` is a path (or ends in .toml), else a built-in scenario."""
    path = Path(name)
    with as_user_error(ScenarioError):
        if path.suffix == ".toml" or path.exists():
            return load_scenario(path)
        return builtin_scenario(name)


def load_scenario_file(path: Path) -> Scenario:
    with as_user_error(ScenarioError):
        return load_scenario(path)


def load_builtin(name: str) -> Scenario:
    with as_user_error(ScenarioError):
        return builtin_scenario(name)


def load_scenarios(specs: Iterable[str]) -> list[tuple[str, Scenario]]:
    """``(source, scenario)`` for every argument: files, folders of files, built-in names."""
    loaded: list[tuple[str, Scenario]] = []
    with as_user_error(ScenarioError):
        for spec in specs:
            path = Path(spec)
            if path.is_dir():
                files = list_scenarios(path)
                if not files:
                    raise UserError(f"{spec}: no scenario files (*.toml) in this folder")
                loaded.extend((str(f.resolve()), load_scenario(f)) for f in files)
            elif path.exists() or path.suffix == ".toml":
                loaded.append((str(path.resolve()), load_scenario(path)))
            elif spec in list_builtin_scenarios():
                loaded.append((BUILTIN_PREFIX + spec, builtin_scenario(spec)))
            else:
                raise UserError(f"{spec}: no such scenario file, folder or built-in scenario")
    return loaded


def load_batch_entry(folder: Path, location: str) -> Scenario:
    """A scenario a batch folder's manifest points at (a copy in the folder, or a built-in)."""
    with as_user_error(ScenarioError, prefix=f"{folder}: "):
        if location.startswith(BUILTIN_PREFIX):
            return builtin_scenario(location.removeprefix(BUILTIN_PREFIX))
        return load_scenario(location)


def with_max_messages(scenario: Scenario, max_messages: int | None) -> Scenario:
    if max_messages is None:
        return scenario
    return attrs.evolve(scenario, max_messages=max_messages)


def require_llm(scenario: Scenario) -> None:
    """``--llm`` without an API key is a usage error before anything starts."""
    from convsim_core.builder import llm_available

    if not llm_available(scenario):
        key = scenario.llm.api_key_env
        raise UserError(f"--llm needs an API key: set {key} (and OPENAI_BASE_URL if needed)")


def with_kinds(scenario: Scenario, kind: str, *, roles: tuple[str, ...]) -> Scenario:
    """Every side in ``roles`` played as ``kind``; scripted sides stay scripted.

    Scripted sides are the fixed part of a test, so ``--llm`` / ``--offline`` never replace
    them.
    """

    def side(spec: Any) -> Any:
        return spec if spec.kind == "scripted" else attrs.evolve(spec, kind=kind)

    return attrs.evolve(scenario, **{role: side(getattr(scenario, role)) for role in roles})
