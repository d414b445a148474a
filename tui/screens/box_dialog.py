"""The look every convsim dialog shares: a bordered box in the middle of the screen.

Each dialog used to restate these rules in its own ``DEFAULT_CSS``; now a dialog says only how
its box differs (its width, its border colour, its buttons). Textual matches a type selector
against every base class and lets a subclass's ``DEFAULT_CSS`` win over its base's.
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


class BoxDialog(ModalScreen[ResultType]):
    """A modal screen whose content is one ``Vertical`` box, centred and bordered."""

    DEFAULT_CSS = """
    BoxDialog { align: center middle; }
    BoxDialog > Vertical {
        width: 70; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    BoxDialog Horizontal { height: auto; }
    """
