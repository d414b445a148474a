"""Numbers on the command line: refused in the user's terms, one line, exit code 2."""

from __future__ import annotations

import argparse

import pytest

from tui.cli import main
from tui.numbers import (
    MAX_RUNS,
    POSITIVE,
    POSITIVE_WHOLE,
    RUNS,
    NumberAction,
    NumberError,
    NumberRule,
)

CONNECT = ["connect", "--demo-bot"]
BATCH = ["batch", "demo"]


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("convsim: error: ")
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([*CONNECT, "--max-messages", "x"], "--max-messages must be a whole number, got 'x'"),
        ([*CONNECT, "--max-messages", "0"], "--max-messages must be at least 1, got 0"),
        (
            ["watch", "s.toml", "--max-messages", "2.5"],
            "--max-messages must be a whole number, got '2.5'",
        ),
        (["demo", "--speed", "nan"], "--speed must be a positive number, got 'nan'"),
        (["demo", "--speed", "inf"], "--speed must be a positive number, got 'inf'"),
        (["demo", "--speed", "-1"], "--speed must be greater than 0, got -1"),
        (["demo", "--speed", "0"], "--speed must be greater than 0, got 0"),
        (["demo", "--seed", "seven"], "--seed must be a whole number, got 'seven'"),
        ([*BATCH, "--runs", "1e9"], "--runs must be a whole number, got '1e9'"),
        (
            [*BATCH, "--runs", str(MAX_RUNS + 1)],
            f"--runs must be at most {MAX_RUNS}, got {MAX_RUNS + 1}",
        ),
        ([*BATCH, "-c", "0"], "-c must be at least 1, got 0"),
        ([*BATCH, "--concurrency", "many"], "--concurrency must be a whole number, got 'many'"),
        ([*BATCH, "--rpm", "nan"], "--rpm must be a positive number, got 'nan'"),
        ([*BATCH, "--tpm", "-5"], "--tpm must be greater than 0, got -5"),
        ([*BATCH, "--progress-every", "0"], "--progress-every must be at least 1, got 0"),
        (["bot", "--port", "70000"], "--port must be at most 65535, got 70000"),
        (["bot", "--reply-delay", "-0.5"], "--reply-delay must be at least 0, got -0.5"),
        (["bot", "--reply-delay", "nan"], "--reply-delay must be a non-negative number, got 'nan'"),
        (["report", "x", "--alpha", "inf"], "--alpha must be a number, got 'inf'"),
    ],
)
def test_bad_numbers_are_named_in_the_users_terms(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = usage_error(argv, capsys)
    assert message in err
    assert "invalid" not in err and "_positive" not in err


def test_good_numbers_arrive_as_numbers() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", action=NumberAction, rule=RUNS)
    parser.add_argument("--speed", action=NumberAction, rule=POSITIVE)
    args = parser.parse_args(["--runs", "12", "--speed", "2.5"])
    assert (args.runs, args.speed) == (12, 2.5)
    assert isinstance(args.runs, int)
    assert parser.parse_args([]).runs is None


def test_the_rules_work_without_argparse() -> None:
    assert POSITIVE_WHOLE.parse(" 3 ", "count") == 3
    assert NumberRule(minimum=-1, maximum=1).parse("-1", "x") == -1.0
    with pytest.raises(NumberError, match=r"^count must be at least 1, got -2$"):
        POSITIVE_WHOLE.parse("-2", "count")
    with pytest.raises(NumberError, match="must be a number, got '-inf'"):
        NumberRule().parse("-inf", "x")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"convsim {version('convsim')}\n"
