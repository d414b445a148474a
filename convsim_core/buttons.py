"""Simulated customers press buttons: a reply that means one of the bot's quick replies is sent
as that button, the way a person taps "Yes" instead of typing it.

A small strategy the hybrid runner composes: the customer (offline or LLM) writes its reply as
usual, seeing the buttons as ``[buttons: Yes | No]``; :class:`ButtonChooser` decides whether that
reply picks one. The channel then sends the press the platform's way (Rasa: the payload as the
message; Bot Framework: ``imBack``/``messageBack``; Botkit: the quick reply's payload as text) and
the transcript records the customer's message with the button as its ``choice``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from convsim_core.models import Conversation, Message, ParticipantRole, QuickReply

_WORD = re.compile(r"[a-z0-9']+")
_YES = frozenset(
    {"yes", "yeah", "yep", "sure", "ok", "okay", "correct", "right", "please", "confirm", "y"}
)
_NO = frozenset({"no", "nope", "nah", "not", "don't", "cancel", "n", "never"})
_STOP = frozenset({"the", "a", "an", "to", "my", "i", "it", "is", "and", "of", "for", "me"})
MAX_WORDS = 8
"""A longer reply says more than any button could: it is sent as typed text."""


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _polarity(words: Sequence[str]) -> int:
    head = words[:3]
    if any(w in _NO for w in head):
        return -1
    if any(w in _YES for w in head):
        return 1
    return 0


def offered_buttons(conversation: Conversation) -> tuple[QuickReply, ...]:
    """The buttons of the agent's newest message since the customer last spoke."""
    for message in reversed(conversation.messages):
        if message.sender is ParticipantRole.CUSTOMER:
            return ()
        if message.quick_replies:
            return message.quick_replies
    return ()


@attrs.frozen
class ButtonChooser:
    """Maps a customer's reply onto one of the offered buttons, or None to send it as text."""

    max_words: int = MAX_WORDS

    def choose(self, reply: str, offered: Sequence[QuickReply]) -> QuickReply | None:
        if not offered:
            return None
        words = _words(reply)
        if not words or len(words) > self.max_words:
            return None
        said = " ".join(words)
        for button in offered:  # the title (or payload) itself: an LLM told to answer with it
            if said in (" ".join(_words(button.title)), " ".join(_words(button.payload or ""))):
                return button
        polarity = _polarity(words)
        if polarity:
            matching = [b for b in offered if _polarity(_words(b.title)) == polarity]
            if len(matching) == 1:
                return matching[0]
        return self._by_overlap(set(words) - _STOP, offered)

    @staticmethod
    def _by_overlap(words: set[str], offered: Sequence[QuickReply]) -> QuickReply | None:
        scored = []
        for button in offered:
            title = {w for w in _words(button.title) if len(w) >= 3} - _STOP
            shared = len(title & words)
            if shared:
                scored.append((shared / len(title), button))
        scored.sort(key=lambda item: -item[0])
        if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
            return None  # nothing in common, or a tie: typing is the honest answer
        return scored[0][1]

    def press(self, reply: Message, conversation: Conversation) -> Message:
        """``reply`` as a button press when it picks one of the offered buttons."""
        if reply.choice is not None:
            return reply
        button = self.choose(reply.content, offered_buttons(conversation))
        if button is None:
            return reply
        return attrs.evolve(reply, content=button.title, choice=button)
