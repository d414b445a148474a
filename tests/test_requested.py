"""The customer's request and a bare report that it was done, in general English."""

from __future__ import annotations

import pytest

from convsim_core.language import clauses
from convsim_core.report_cues import completion
from convsim_core.requested import asks_for_something


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Done!", "done"),
        ("All done, you'll get a text shortly.", "all done"),
        ("You're good to go.", "you are good to go"),
        ("There you go.", "there you go"),
        ("We've dealt with it.", "we have dealt with it"),
        ("I've just processed that for you.", "i have processed that"),
        ("Done deal on the new sofa range this week.", None),  # "done" is not a phrase here
        ("I'll sort that out for you.", None),  # a plan
        ("Have I sorted that for you?", None),
        ("I have not dealt with it yet.", None),
        ("We have processed 3 orders today.", None),  # no pronoun for the request
    ],
)
def test_a_bare_report_that_the_request_is_done(text: str, expected: str | None) -> None:
    assert completion(clauses(text)[0]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Could you swap the blue one for a red one?", True),
        ("Platform 4, please.", True),
        ("I'd like my deposit back.", True),
        ("I need the invoice in PDF.", True),
        ("Do you have this in a size 10?", True),
        ("If I upgrade, would you move my data across?", False),
        ("What time do you close on Sundays?", False),
        ("Thanks, that's everything.", False),
    ],
)
def test_what_asks_for_something(text: str, expected: bool) -> None:
    assert asks_for_something(text) is expected
