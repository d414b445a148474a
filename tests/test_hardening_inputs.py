"""Items 9 and 10 of issue 16: bad input is one line and exit 2, never a traceback or accepted."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from convsim_core.batch.plan import BatchPlan, ScenarioEntry
from convsim_core.models import ParticipantRole
from convsim_core.scenario import ScenarioError, load_scenario
from convsim_core.termination import ClosingPhrases
from tests.support.refund_scenario import refund_toml
from tests.support.timeouts import MS
from tests.test_strategies import convo, state
from tui.cli import main


def one_line_error(capsys: pytest.CaptureFixture[str], code: int, *needles: str) -> str:
    seen = capsys.readouterr()
    assert code == 2, seen.err
    assert "Traceback" not in seen.err
    assert seen.err.count("\n") == 1 and seen.err.startswith("convsim: error: "), seen.err
    for needle in needles:
        assert needle in seen.err
    return seen.err


def scenario(tmp_path: Path, text: str | None = None, name: str = "refund.toml") -> Path:
    path = tmp_path / name
    path.write_text(refund_toml() if text is None else text)
    return path


# -- item 9 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "url"),
    [
        ("--ws", "ws://127.0.0.1:abc/ws"),
        ("--ws", "ws://127.0.0.1:99999/ws"),
        ("--ws", "ws://[zz]/ws"),
        ("--webhook", "http://]"),
        ("--webhook", "http://127.0.0.1:-1/x"),
        ("--webhook", "http://127.0.0.1/a b"),
    ],
)
def test_bad_urls_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, url: str
) -> None:
    code = main(["connect", str(scenario(tmp_path)), flag, url, "--headless"])
    one_line_error(capsys, code, "not a valid URL" if "]" in url or ":" in url[7:] else "URL")


def test_deeply_nested_toml_scenario_and_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = "x = " + "[" * 5000 + "]" * 5000 + "\n"
    code = main(["watch", str(scenario(tmp_path, refund_toml() + deep)), "--headless"])
    one_line_error(capsys, code)
    profile = tmp_path / "bot.toml"
    profile.write_text('url = "ws://127.0.0.1:1/ws"\n' + deep)
    code = main(["connect", str(scenario(tmp_path)), "--profile", str(profile), "--headless"])
    one_line_error(capsys, code, "bot.toml")


def test_a_binary_profile_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "bot.toml"
    profile.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary")
    code = main(["connect", str(scenario(tmp_path)), "--profile", str(profile), "--headless"])
    one_line_error(capsys, code, "not UTF-8")


def test_show_survives_a_line_nested_100000_deep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = '{"type": "message", "content": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    only = tmp_path / "deep.jsonl"
    only.write_text(deep)
    one_line_error(capsys, main(["show", str(only)]), "not a convsim transcript")
    header = json.dumps({"schema_version": 1, "type": "header", "scenario": "s"})
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(header + "\n" + deep)
    assert main(["show", str(mixed)]) == 0
    out = capsys.readouterr().out
    assert "line 2: nested too deeply to read" in out


def test_show_refuses_a_file_that_is_not_a_transcript(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "image.jsonl"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    one_line_error(capsys, main(["show", str(png)]), "image.jsonl")
    toml = scenario(tmp_path)
    one_line_error(capsys, main(["show", str(toml)]), "not a convsim transcript")


def test_a_manifest_bot_kind_that_is_a_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "b"
    argv = ["batch", "demo", "--runs", "1", "--headless", "--demo-bot", "--out", str(folder)]
    assert main(argv) == 0
    capsys.readouterr()
    manifest = json.loads((folder / "batch.json").read_text())
    manifest["settings"]["bot"]["kind"] = 5
    (folder / "batch.json").write_text(json.dumps(manifest))
    code = main(["batch", "--resume", "--headless", "--out", str(folder)])
    one_line_error(capsys, code, "bot target", "kind")


def test_a_huge_runs_count_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    with pytest.raises(SystemExit) as exited:  # issue 8's bounded --runs, at parse time
        main(["batch", "demo", "--runs", "1000000000000", "--out", str(tmp_path / "b")])
    assert exited.value.code == 2
    assert "--runs must be at most" in capsys.readouterr().err
    # The plan itself refuses what cannot fit, whoever builds it (a library caller, a shard).
    with pytest.raises(ValueError, match="too large"):
        BatchPlan((ScenarioEntry("demo", "builtin:demo", 1),), runs=10**12)
    assert time.monotonic() - started < 5000 * MS
    assert not (tmp_path / "b").exists()


def bot_profile(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text('url = "http://127.0.0.1:1/webhook"\npreset = "generic-json"\n' + extra)
    return path


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ('[headers]\nX-Api = "a\\r\\nX-Injected: 1"\n', "header injection"),
        ('[headers]\n"Bad Name" = "v"\n', "not a valid HTTP header name"),
        ('[request]\nbody = ""\n', "request.body: empty"),
        ("[request]\nbody = {}\n", "request.body: empty"),
        ("response_timeout = nan\n", "response_timeout"),
        ("response_timeout = inf\n", "response_timeout"),
        ("response_timeout = -1\n", "response_timeout"),
    ],
)
def test_bad_profiles_are_refused_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, needle: str
) -> None:
    profile = bot_profile(tmp_path, extra)
    code = main(["connect", str(scenario(tmp_path)), "--profile", str(profile), "--headless"])
    one_line_error(capsys, code, needle)


# -- item 10 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["inactivity_timeout", "max_wall_time", "response_timeout"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5"])
def test_nonsense_timeouts_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, value: str
) -> None:
    text = "\n".join(
        f"{key} = {value}" if line.startswith(f"{key} =") else line
        for line in refund_toml().splitlines()
    )
    code = main(["watch", str(scenario(tmp_path, text)), "--headless"])
    one_line_error(capsys, code, f"termination.{key}")


@pytest.mark.parametrize("pattern", ["(a|aa)+$", "(a+)+b", "(x+x+)+y", "((ab)*)*c"])
def test_catastrophic_closing_phrases_are_refused(tmp_path: Path, pattern: str) -> None:
    text = refund_toml().replace(
        "[termination]\n", f"[termination]\nclosing_phrases = [{json.dumps(pattern)}]\n"
    )
    started = time.monotonic()
    with pytest.raises(ScenarioError, match="exponential time"):
        load_scenario(scenario(tmp_path, text))
    with pytest.raises(ValueError, match="exponential time"):
        ClosingPhrases((pattern,))
    assert time.monotonic() - started < 1000 * MS


def test_safe_closing_phrase_regexes_still_load(tmp_path: Path) -> None:
    patterns = ["have a (nice|great) day", r"see you\s+soon", "(bye|ciao)!*", "(?>a|aa)+$"]
    text = refund_toml().replace(
        "[termination]\n", f"[termination]\nclosing_phrases = {json.dumps(patterns)}\n"
    )
    assert load_scenario(scenario(tmp_path, text)).termination.closing_phrases == tuple(patterns)


def test_a_manifest_bot_kind_that_names_no_transport(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "b"
    argv = ["batch", "demo", "--runs", "1", "--headless", "--demo-bot", "--out", str(folder)]
    assert main(argv) == 0
    capsys.readouterr()
    manifest = json.loads((folder / "batch.json").read_text())
    manifest["settings"]["bot"].update(kind="carrier-pigeon", demo_bot=False, url=None)
    (folder / "batch.json").write_text(json.dumps(manifest))
    code = main(["batch", "--resume", "--headless", "--out", str(folder)])
    one_line_error(capsys, code, "settings.bot: kind must be")


@pytest.mark.parametrize(
    ("pattern", "text"),
    [(r"(.*,){5}x", "," * 200), (r"(a?){25}a{25}", "a" * 25), (r"(a?)+b", "a" * 5000)],
)
def test_counted_and_optional_repeats_that_explode_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str, text: str
) -> None:
    # Each of these ran for seconds to minutes against ``text`` (a hostile bot can send it).
    toml = refund_toml().replace(
        "[termination]\n", f"[termination]\nclosing_phrases = [{json.dumps(pattern)}]\n"
    )
    started = time.monotonic()
    code = main(["watch", str(scenario(tmp_path, toml)), "--headless"])
    one_line_error(capsys, code, "exponential time")
    assert time.monotonic() - started < 5000 * MS


@pytest.mark.parametrize("pattern", ["", "a*", "(?:bye)?"])
def test_a_closing_phrase_matching_empty_text_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str
) -> None:
    toml = refund_toml().replace(
        "[termination]\n", f"[termination]\nclosing_phrases = [{json.dumps(pattern)}]\n"
    )
    code = main(["watch", str(scenario(tmp_path, toml)), "--headless"])
    one_line_error(capsys, code, "matches empty text")


def test_an_inline_flag_closing_phrase_loads_and_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "(?i)..." only works at the start of an expression: joined with the others it used to
    # be a traceback (exit 1) instead of a working phrase.
    patterns = ["(?x) see \\s you \\s soon", "have a (nice|great) day", r"(\s?bye){2}"]
    toml = refund_toml().replace(
        "[termination]\n", f"[termination]\nclosing_phrases = {json.dumps(patterns)}\n"
    )
    code = main(["watch", str(scenario(tmp_path, toml)), "--headless", "--max-messages", "2"])
    assert code == 0, capsys.readouterr().err
    phrases = ClosingPhrases(tuple(patterns))
    said = asyncio.run(
        phrases.check(state(convo((ParticipantRole.AGENT, "Thanks, SEE YOU SOON."))))
    )
    assert said is not None and "SEE YOU SOON" in said.detail
    assert asyncio.run(phrases.check(state(convo((ParticipantRole.AGENT, "thanks"))))) is None


def test_an_explosive_expect_regex_is_refused_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # [expect] regexes run on every agent message, so a hostile bot's "aaaa...!" could stall
    # `convsim test` on them just as on a closing phrase.
    text = (
        refund_toml() + '\n[expect]\npass = ["resolved"]\nmust_not_say = [{ regex = "(a|aa)+$" }]\n'
    )
    code = main(["watch", str(scenario(tmp_path, text)), "--headless"])
    one_line_error(capsys, code, "expect.must_not_say[0]", "exponential time")
