"""bench_verdicts shows wrong verdicts of the development half only, with their transcript."""

from __future__ import annotations

import sys

import pytest

from benchmarks import bench_verdicts, support_replay
from benchmarks.sgd_replay import Dialogue
from benchmarks.support_replay import SupportDialogue

_CHAT = (
    ("user", "I'd like a table for two tonight."),
    ("system", "Shall I book the 7 pm table for two?"),
    ("user", "Yes please."),
    ("system", "Enjoy your dinner!"),
)


async def test_a_wrong_verdict_is_shown_with_its_transcript_and_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = Dialogue("made-up/1", "none", _CHAT)  # labelled none on purpose: judged completed
    right = Dialogue("made-up/2", "completed", _CHAT)
    confusion, premature, _ = await bench_verdicts.verdicts(
        [wrong, right], "offline", show_misses=True
    )
    shown = capsys.readouterr().out
    assert confusion[("none", "completed")] == 1 and confusion[("completed", "completed")] == 1
    assert premature == 0
    assert "--- made-up/1: true none, judged completed" in shown
    assert "#4 agent: Enjoy your dinner!" in shown
    assert (
        "why: completed at message #4: agent answered the request accepted at message #2" in shown
    )
    assert "made-up/2" not in shown


@pytest.mark.parametrize("flag", ["--show-misses", "--only"])
def test_misses_and_partial_runs_exist_for_the_development_half_only(
    flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_verdicts", flag, "held-out"])
    with pytest.raises(SystemExit) as refused:
        bench_verdicts.cli()
    assert refused.value.code == 2


def _support(label: str, turns: tuple[tuple[str, str], ...], ends_after: int) -> SupportDialogue:
    return support_replay._dialogue(
        {
            "id": f"made-up/{label}",
            "label": label,
            "ends_after": ends_after,
            "outcomes": [
                {"name": "completed", "description": "The parcel was sent to the new address."},
                {"name": "failed", "description": "The parcel could not be redirected."},
            ],
            "turns": [list(t) for t in turns],
        }
    )


_BUBBLES = (
    ("customer", "Can you send my parcel to 4 Elm Road instead, please?"),
    ("agent", "One moment."),
    ("agent", "Done! It's on its way to 4 Elm Road."),
    ("customer", "Great, thanks. Bye!"),
    ("agent", "Bye!"),
)


async def test_the_support_replay_keeps_a_bots_bubbles_as_separate_messages() -> None:
    dialogue = _support("completed", _BUBBLES, ends_after=3)
    result = await dialogue.runner("offline").run()
    senders = [m.sender.value for m in result.conversation.messages]
    assert senders[:3] == ["customer", "agent", "agent"]
    assert result.conversation.outcome is not None
    assert result.conversation.outcome.name == "completed"
    confusion, premature, _ = await bench_verdicts.verdicts([dialogue], "offline")
    assert confusion[("completed", "completed")] == 1 and premature == 0


def test_a_support_replay_is_premature_before_its_last_turn_that_says_something() -> None:
    dialogue = _support("completed", _BUBBLES, ends_after=3)
    assert dialogue.premature(2)
    assert not dialogue.premature(3)


async def test_an_unseen_set_is_only_measured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "fresh3" in bench_verdicts.UNSEEN  # held out from everyone writing the judge
    monkeypatch.setattr(bench_verdicts, "UNSEEN", frozenset({"blind"}))
    wrong = _support("none", _BUBBLES, ends_after=3)  # judged completed: a miss
    await bench_verdicts.measure("blind", [wrong], "made-up", None, "dev")
    shown = capsys.readouterr().out
    assert "unseen" in shown and "made-up/none" not in shown and "---" not in shown


@pytest.mark.parametrize("name", ["fresh", "fresh2"])
async def test_the_fresh_sets_are_development_data(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # fresh2 became development data in session 3, after one blind measurement (75/65/75).
    assert name in bench_verdicts.WHOLE and name not in bench_verdicts.UNSEEN
    wrong = _support("none", _BUBBLES, ends_after=3)  # judged completed: a miss
    await bench_verdicts.measure(name, [wrong], "made-up", None, "dev")
    shown = capsys.readouterr().out
    assert "all development data" in shown and "--- " in shown and "why:" in shown


def test_the_datasets_load_with_thirty_fifteen_or_twenty_per_class() -> None:
    from collections import Counter

    sets = (
        (support_replay.DATA, 30),
        (support_replay.FRESH, 15),
        (support_replay.FRESH2, 20),
        (support_replay.FRESH3, 20),
    )
    for path, each in sets:
        counts = Counter(d.label for d in support_replay.load(path))
        assert counts == {"completed": each, "failed": each, "none": each}
