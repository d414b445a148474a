"""Keep log output off the terminal while the TUI owns it.

``tui.cli`` configures logging to stderr before the app starts; a warning written there while
Textual draws would tear the screen. While the app runs, console handlers are detached, warnings
from the core show as notifications, and every record is replayed to the original handlers once
the terminal is back (so ``-v`` still gets its log, after the UI).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from textual.app import App

from convsim_core.textsafe import one_line


class _AppHandler(logging.Handler):
    def __init__(self, app: App[Any]) -> None:
        super().__init__(logging.DEBUG)
        self.app = app
        self.records: list[logging.LogRecord] = []
        self._thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if record.levelno < logging.WARNING or record.name.startswith("tui."):
            return  # the TUI's own problems are already on screen
        if threading.get_ident() != self._thread or not self.app.is_running:
            return
        try:
            self.app.notify(
                one_line(record.getMessage()[:300]),
                title=record.levelname.capitalize(),
                severity="error" if record.levelno >= logging.ERROR else "warning",
                timeout=6,
            )
        except Exception:  # a notification must never break the code that logged
            self.handleError(record)


@contextmanager
def routed_to(app: App[Any]) -> Iterator[None]:
    root = logging.getLogger()
    console = [
        handler
        for handler in root.handlers
        if type(handler) is logging.StreamHandler  # files (FileHandler) keep writing
    ]
    handler = _AppHandler(app)
    for found in console:
        root.removeHandler(found)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        for found in console:
            root.addHandler(found)
            for record in handler.records:
                if record.levelno >= found.level and record.levelno >= root.level:
                    found.handle(record)
