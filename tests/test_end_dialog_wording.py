"""The end-of-chat dialog says in one sentence what the judge decided and why.

Issue 13 review: play's end dialog read "The judge says no outcome. no outcome yet": the judge's
rationale repeated the outcome. The sentence is now the verdicts' own why text (the outcome
pane, ``convsim show`` and summaries use it too), driven here through play with a Pilot.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from convsim_core.models import Judgement, NearMiss, Outcome
from convsim_core.scenario import builtin_scenario
from convsim_core.verdict_why import why
from tests.support.timeouts import TIMEOUT
from tests.test_tui_play import live, play_app, type_and_send
from tui.app import ConvsimApp
from tui.screens.dialogs import OutcomeDialog, verdict_sentence
from tui.testing import wait_until
from tui.widgets.composer import Composer

OUTCOMES = builtin_scenario("demo").outcomes


def dialog_open(app: ConvsimApp) -> bool:
    return isinstance(app.screen, OutcomeDialog) and bool(app.screen.query("#outcome-verdict"))


def dialog_verdict(app: ConvsimApp) -> str:
    return str(app.screen.query_one("#outcome-verdict", Static).render())


async def test_ending_without_an_outcome_says_so_once_with_the_possible_outcomes(
    tmp_path: Path,
) -> None:
    app = play_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        composer = app.screen.query_one(Composer)
        await wait_until(pilot, lambda: not composer.text_area.read_only, within=TIMEOUT * 3)
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: dialog_open(app), within=TIMEOUT * 3)
        text = dialog_verdict(app)
    assert text.startswith("The judge decided no outcome (possible: resolved, ")
    assert text.count("no outcome") == 1 and "yet" not in text
    assert text.endswith(").") and text.count(". ") == 0  # one sentence


async def test_an_outcome_names_the_message_and_phrase(tmp_path: Path) -> None:
    app = play_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        run = live(app)
        composer = app.screen.query_one(Composer)
        await wait_until(pilot, lambda: not composer.text_area.read_only, within=TIMEOUT * 3)
        await type_and_send(pilot, "Done: the duplicate payment has been refunded.")
        await wait_until(pilot, lambda: run.outcome_panel.current == "resolved", within=TIMEOUT * 3)
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: dialog_open(app), within=TIMEOUT * 3)
        text = dialog_verdict(app)
        judgement = run.outcome_panel.judgement
    assert judgement is not None
    assert text == f"The judge decided {why(judgement, OUTCOMES)}."
    assert text.startswith("The judge decided resolved at message #2")


def test_the_sentence_for_each_kind_of_verdict() -> None:
    resolved = OUTCOMES.get_outcome_by_name("resolved")
    assert resolved is not None
    reached = Judgement(resolved, "said 'has been refunded'", message_index=3, score=0.9)
    assert verdict_sentence(reached, OUTCOMES).plain == (
        "The judge decided resolved at message #4: said 'has been refunded' (score 0.90)."
    )
    miss = NearMiss("resolved", 2, "I can refund it tomorrow", "an offer, not done")
    none = Judgement(None, "no outcome yet", nearest_miss=miss)
    sentence = verdict_sentence(none, OUTCOMES).plain
    assert sentence.startswith("The judge decided no outcome (possible: ")
    assert 'nearest miss: resolved at message #3 "I can refund it tomorrow"' in sentence
    assert "yet" not in sentence
    assert verdict_sentence(None, OUTCOMES).plain == "No judge decided this chat's outcome."
    # No message index and no reason: once "resolved at reached".
    unplaced = Judgement(Outcome("resolved", ""), "")
    assert verdict_sentence(unplaced, OUTCOMES).plain == "The judge decided resolved: reached."
    placed = Judgement(Outcome("resolved", ""), "", message_index=0)
    assert verdict_sentence(placed, OUTCOMES).plain == "The judge decided resolved at message #1."
