"""The base of the messages a widget posts about itself (``Composer.Submitted`` and the like).

Textual routes ``@on(Composer.Submitted, "#seat-composer")`` by the message's ``control``; each of
these messages carries the widget that posted it as that ``control``, typed as its own class.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from textual.message import Message
from textual.widget import Widget

__all__ = ["WidgetMessage"]

W = TypeVar("W", bound=Widget)


class WidgetMessage(Message, Generic[W]):
    """A message about ``widget``, which handlers read (and selectors match) as ``control``."""

    def __init__(self, widget: W) -> None:
        super().__init__()
        self._widget = widget

    @property
    def control(self) -> W:
        return self._widget
