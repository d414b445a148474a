"""Saying why: the deciding message and phrase, or the nearest miss; agreement figures."""

from __future__ import annotations

import pytest

from convsim_core.agreement import Agreement, format_agreement
from convsim_core.models import Judgement, NearMiss, Outcome, Outcomes
from convsim_core.verdict_why import miss_category, why

OUTCOMES = Outcomes((Outcome("refunded", "Refunded."), Outcome("escalated", "Escalated.")))


def test_an_outcome_names_its_message_phrase_and_score() -> None:
    judgement = Judgement(
        OUTCOMES.outcomes[0], 'agent said refunded: "i have refunded it"', 4, "refunded", 0.65
    )
    assert (
        why(judgement)
        == 'refunded at message #5: agent said refunded: "i have refunded it" (score 0.65)'
    )


def test_no_outcome_names_the_possible_ones_and_the_nearest_miss() -> None:
    miss = NearMiss("refunded", 2, "i could not refund you", 'refund: negated ("not")', 0.45)
    judgement = Judgement(None, "no outcome yet", nearest_miss=miss)
    assert why(judgement, OUTCOMES) == (
        "no outcome; possible: refunded, escalated; nearest miss: refunded at message #3"
        ' "i could not refund you" - refund: negated ("not")'
    )
    assert miss_category(judgement) == "refunded: negated"
    assert why(Judgement(None), OUTCOMES).endswith("nothing came close")
    assert miss_category(Judgement(None)) == "nothing came close"


def test_unusable_judge_answers_are_reported() -> None:
    judgement = Judgement(OUTCOMES.outcomes[1], "handed over", 3, failures=2)
    assert why(judgement).endswith("; 2 judge answers unusable")


def test_kappa_precision_recall() -> None:
    pairs = (
        ("refunded", "refunded"),
        ("refunded", "none"),
        ("none", "none"),
        ("escalated", "escalated"),
    )
    agreement = Agreement(pairs)
    assert agreement.accuracy == 0.75
    assert agreement.precision("none") == 0.5 and agreement.recall("refunded") == 0.5
    assert agreement.precision("refunded") == 1.0
    # p_o = 0.75; p_e = (2*1 + 1*1 + 1*2) / 16 = 5/16 -> kappa = (0.75 - 0.3125) / 0.6875
    assert agreement.kappa == pytest.approx(0.6364, abs=1e-4)
    assert "Cohen's kappa 0.64" in format_agreement(agreement)[0]


def test_perfect_agreement_on_one_label_is_kappa_one() -> None:
    assert Agreement((("none", "none"),) * 3).kappa == 1.0
