"""The headless commands through ``tui.cli.main``: demo, watch and show."""

from __future__ import annotations

from pathlib import Path

import pytest

from convsim_core.persistence import read_transcript
from tui.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "scenarios"


def transcripts(root: Path) -> list[Path]:
    return sorted(root.rglob("*.jsonl"))


def test_demo_headless_prints_the_chat_outcome_and_transcript(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["demo", "--headless"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Refund for a double charge\n")
    assert "seed 7, customer offline, agent offline" in out
    assert "[0:00] Customer  Hi, I've just noticed I was charged twice" in out
    assert "Agent" in out and "dana.whitfield@example.com" in out
    assert '-> outcome: resolved (agent said "has been refunded")' in out
    assert "Outcome:    resolved - The duplicate payment was refunded." in out
    assert "Ended by:   closing phrase (agent said" in out
    assert "\033[" not in out  # no colour when not writing to a terminal
    (path,) = transcripts(tmp_path / "convsim-home")
    assert f"Transcript: {path}" in out
    assert path.parent.name == "demo" and path.name.endswith("-seed7.jsonl")
    transcript = read_transcript(path)
    assert not transcript.partial and transcript.result is not None
    assert transcript.result.conversation.outcome is not None
    assert transcript.result.conversation.outcome.name == "resolved"
    assert len(transcript.messages) == out.count("Customer  ") + out.count("Agent     ")


def test_watch_headless_with_seed_max_messages_and_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "chat.jsonl"
    code = main(
        [
            "watch",
            str(EXAMPLES / "customer-gives-up.toml"),
            "--headless",
            "--seed",
            "3",
            "--out",
            str(out_file),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "scenario customer-gives-up, seed 3" in out
    assert "Outcome:    abandoned - The customer gave up waiting and left." in out
    assert "Ended by:   outcome reached (outcome 'abandoned' reached)" in out
    assert f"Transcript: {out_file}" in out
    transcript = read_transcript(out_file)
    assert transcript.header["seed"] == 3
    assert transcript.header["scenario_path"] == str(EXAMPLES / "customer-gives-up.toml")

    assert (
        main(
            [
                "watch",
                str(EXAMPLES / "damaged-item-refund.toml"),
                "--headless",
                "--max-messages",
                "4",
                "--out",
                str(tmp_path / "short.jsonl"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Ended by:   max messages (reached 4 messages)" in out
    assert len(read_transcript(tmp_path / "short.jsonl").messages) == 4


def test_same_seed_prints_the_same_chat(capsys: pytest.CaptureFixture[str]) -> None:
    def chat_lines() -> list[str]:
        assert main(["watch", str(EXAMPLES / "two-factor-setup.toml"), "--headless"]) == 0
        out = capsys.readouterr().out
        return [line for line in out.splitlines() if not line.startswith("Transcript:")]

    assert chat_lines() == chat_lines()


def test_bad_scenario_file_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text('title = "x"\ninitial_message = "hi"\n[[outcomes]]\nname = "Bad Name"\n')
    assert main(["watch", str(bad), "--headless"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"convsim: error: {bad}: outcomes[0].name: ")
    assert transcripts(tmp_path / "convsim-home") == []


def test_missing_scenario_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert main(["watch", str(missing), "--headless"]) == 2
    assert capsys.readouterr().err == f"convsim: error: {missing}: no such scenario file\n"


def test_llm_flag_without_a_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--headless", "--llm"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("convsim: error: --llm needs an API key: set OPENAI_API_KEY")


def test_llm_and_offline_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--llm", "--offline"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_without_headless_and_no_terminal_it_runs_headless_with_a_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo"]) == 0
    captured = capsys.readouterr()
    assert "running headless" in captured.err
    assert "Outcome:    resolved" in captured.out


def test_show_prints_a_saved_transcript(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "chat.jsonl"
    assert main(["demo", "--headless", "--out", str(out_file)]) == 0
    live = capsys.readouterr().out
    assert main(["show", str(out_file)]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("Refund for a double charge\n")
    assert "scenario demo, seed 7, runner FullSimulationRunner" in shown
    chat = [line for line in live.splitlines() if line.startswith((" [", "  "))]
    assert chat and all(line in shown.splitlines() for line in chat)  # incl. "-> outcome"
    assert "Outcome:    resolved" in shown and "Partial" not in shown


def test_show_a_partial_transcript(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "chat.jsonl"
    assert main(["demo", "--headless", "--out", str(out_file)]) == 0
    capsys.readouterr()
    lines = out_file.read_text(encoding="utf-8").splitlines()
    partial = tmp_path / "partial.jsonl"
    partial.write_text("\n".join(lines[:5]) + '\n{"type": "mess', encoding="utf-8")
    assert main(["show", str(partial)]) == 0
    out = capsys.readouterr().out
    assert "Partial transcript: the run did not finish (4 messages, no result)." in out
    assert "warning: line 6:" in out
    assert "Outcome:" not in out


def test_show_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["show", str(tmp_path / "none.jsonl")]) == 2
    assert "no such transcript file" in capsys.readouterr().err
    junk = tmp_path / "junk.jsonl"
    junk.write_text("not json\n", encoding="utf-8")
    assert main(["show", str(junk)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"convsim: error: {junk} is not a convsim transcript")
    assert len(err.splitlines()) == 1
