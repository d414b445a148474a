"""How a reply answers: a yes, an acknowledgement, or a clause that tells nothing."""

from __future__ import annotations

import pytest

from convsim_core.assent import affirms, only_acknowledges, says_yes
from convsim_core.language import clauses


@pytest.mark.parametrize(
    "text",
    [
        "Yes please",
        "Exactly.",
        "That's it.",
        "Please go ahead",
        "Go for it",
        "Ok, book it",
        "That would be great",
        "Sure, why not",
        "I agree.",
        "Please proceed.",
        "Yep, that's right. And is parking free?",
    ],
)
def test_a_yes_in_so_many_words(text: str) -> None:
    assert affirms(text) and says_yes(text)


@pytest.mark.parametrize("text", ["OK", "Perfect.", "Sounds great", "Great, thanks."])
def test_an_acknowledgement_agrees_without_saying_yes(text: str) -> None:
    assert affirms(text) and not says_yes(text)


@pytest.mark.parametrize("text", ["No", "Not quite", "No, make it 3", "Well, no", "Not right now"])
def test_a_no_is_neither(text: str) -> None:
    assert not affirms(text) and not says_yes(text)


@pytest.mark.parametrize(
    ("text", "tells"),
    [
        ("Yes!", False),
        ("Of course.", False),
        ("You're welcome.", False),
        ("Enjoy the show.", True),
        ("It starts at 8 pm.", True),
    ],
)
def test_only_acknowledges(text: str, tells: bool) -> None:
    assert only_acknowledges(clauses(text)[0]) is not tells
