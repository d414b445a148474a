"""Headless modules load without Textual, each checked in a fresh interpreter (as harlequin does).

The import-linter contracts see the static imports; this sees what really happens at import
time (a plugin, a re-export, a module-level import added to ``tui/__init__``), so a headless
run on a machine without a terminal never pays for the UI.
"""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys

import pytest

import tui
from tests.support.timeouts import MS

UI_MODULES = (
    "tui.app",
    "tui.batch_dashboard",
    "tui.testing",
    "tui.settings",
    "tui.logs",
    "tui.screens",
    "tui.widgets",
)
"""The Textual side of tui/; every other module (a new one too) must stay headless."""

CHECK = """
import importlib, sys
importlib.import_module(sys.argv[1])
loaded = sorted(name for name in sys.modules if name == "textual" or name.startswith("textual."))
if loaded:
    raise SystemExit(f"{sys.argv[1]} loaded {loaded[0]}")
"""


def _is_ui(name: str) -> bool:
    return any(name == ui or name.startswith(ui + ".") for ui in UI_MODULES)


def headless_modules() -> list[str]:
    names = [info.name for info in pkgutil.walk_packages(tui.__path__, prefix="tui.")]
    return sorted(name for name in names if not _is_ui(name) and name != "tui.__main__")


def test_the_list_covers_the_wiring_and_the_commands() -> None:
    names = headless_modules()
    assert {"tui.wiring.runs", "tui.wiring.bots", "tui.cli", "tui.commands.connect"} <= set(names)
    assert "tui.app" not in names


@pytest.mark.parametrize("module", headless_modules())
def test_module_imports_without_textual(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK, module],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60_000 * MS,
        check=False,
    )
    assert done.returncode == 0, done.stderr or done.stdout


def test_building_the_whole_command_line_loads_no_textual() -> None:
    """``convsim --help`` imports every command module; none may pull the UI in."""
    code = CHECK.replace(
        "importlib.import_module(sys.argv[1])",
        "importlib.import_module(sys.argv[1]).build_parser()",
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "tui.cli"],
        capture_output=True,
        text=True,
        timeout=60_000 * MS,
        check=False,
    )
    assert done.returncode == 0, done.stderr or done.stdout
