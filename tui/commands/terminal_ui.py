"""Whether the terminal UI can open here; every command that has one falls back to headless.

One check for all of them: no terminal on stdout (a pipe, CI) or Textual missing or broken
means the command runs headless with a one-line note, never a traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys
from types import ModuleType

logger = logging.getLogger(__name__)


def terminal_app() -> ModuleType | str:
    """``tui.app``, imported only now, or why the terminal UI cannot run here."""
    if not sys.stdout.isatty():
        return "stdout is not a terminal"
    try:
        return importlib.import_module("tui.app")
    except ImportError as exc:
        logger.debug("terminal UI unavailable", exc_info=True)
        return f"the terminal UI is not available ({exc})"
