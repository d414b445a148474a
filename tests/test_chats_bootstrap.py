"""`convsim scenarios from-chats`: drafts that load and run, one per intent, with weights."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from convsim_core.builder import build_full_runner
from convsim_core.chats.bootstrap import draft_scenarios, facts_seen
from convsim_core.chats.library import ChatLibrary
from convsim_core.chats.records import Chat, ChatTurn
from convsim_core.models import ParticipantRole
from convsim_core.scenario import load_scenario
from tests.chat_fixtures import library_from_slice
from tui.cli import main


def test_groups_follow_the_dialogues_own_domains(tmp_path: Path) -> None:
    chats = ChatLibrary.open(library_from_slice(tmp_path, stop=160)).chats()
    drafts = draft_scenarios(chats, 6)
    assert len(drafts) == 6
    assert abs(sum(d.weight for d in drafts) - 1.0) < 0.01
    assert [d.weight for d in drafts] == sorted((d.weight for d in drafts), reverse=True)
    by_id = {c.chat_id: c for c in chats}
    # The SGD services annotations were never used to group: the groups are still purer than
    # chance, i.e. their most common first service covers far more than its overall share.
    purities = []
    for draft in drafts:
        firsts = [(by_id[i].intent or "").split(",")[0] for i in draft.chat_ids]
        top = max(set(firsts), key=firsts.count)
        overall = sum((c.intent or "").split(",")[0] == top for c in chats) / len(chats)
        purities.append(firsts.count(top) / len(firsts) - overall)
    assert sum(purities) / len(purities) > 0.2


def test_facts_are_taken_from_what_the_customer_said() -> None:
    chat = Chat(
        "c",
        "s",
        (
            ChatTurn(ParticipantRole.CUSTOMER, "A table for 4 people in San Jose, please."),
            ChatTurn(ParticipantRole.AGENT, "What time?"),
            ChatTurn(ParticipantRole.CUSTOMER, "At 7:30 pm on March 3rd, it's $40 max."),
        ),
    )
    facts = facts_seen(chat)
    assert facts["people"] == "4" and facts["place"] == "San Jose"
    assert facts["time"] == "7:30 pm" and facts["date"] == "March 3rd" and facts["amount"] == "$40"


async def test_cli_writes_drafts_that_load_and_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = library_from_slice(tmp_path, stop=160)
    out = tmp_path / "drafts"
    assert main(["scenarios", "from-chats", str(library), "--out", str(out), "--count", "4"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    files = sorted(out.glob("*.toml"))
    assert len(files) == 4 == len(printed)
    weights = 0.0
    for path in files:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        weights += data["weight"]
        assert data["intents"][0]["description"] and data["initial_message"]["content"]
        names = {o["name"] for o in data["outcomes"]}
        assert names <= {"completed", "failed"} and names  # the labels the chats carried
        assert all(o["description"] for o in data["outcomes"])
        scenario = load_scenario(path)
        assert scenario.weight == data["weight"]
        result = await build_full_runner(scenario, seed=1).run()
        assert len(result.conversation.messages) >= 2
    assert abs(weights - 1.0) < 0.01
    # Written again: refused, not overwritten.
    assert main(["scenarios", "from-chats", str(library), "--out", str(out), "--count", "4"]) == 2
    assert "exists (use --force" in capsys.readouterr().err
    assert main(["scenarios", "from-chats", str(tmp_path / "x"), "--out", str(out)]) == 2


def test_drafts_with_expectations_give_a_weighted_pass_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = library_from_slice(tmp_path, stop=160)
    out = tmp_path / "drafts"
    assert main(["scenarios", "from-chats", str(library), "--out", str(out), "--count", "3"]) == 0
    for path in out.glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        assert "# [expect]" in text  # a template: which outcome is good is the user's call
        assert '# pass = ["completed"]' in text  # the guess avoids failure-like names
        path.write_text(
            text.replace("# [expect]", "[expect]").replace("# pass = ", "pass = "),
            encoding="utf-8",
        )
    runs = tmp_path / "runs"
    files = [str(p) for p in sorted(out.glob("*.toml"))]
    main(["batch", *files, "--runs", "3", "--out", str(runs), "--headless"])
    capsys.readouterr()
    main(["report", str(runs)])
    report = capsys.readouterr().out
    assert "pass rate weighted by scenario weight:" in report
