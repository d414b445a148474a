"""Issue 10 end to end: `convsim probe` against bots speaking third-party protocols, then the
profile it printed used for a real `convsim connect` conversation; `--ws`/`--webhook` without a
profile; misconfigured profiles failing loudly; the bot's last word in the transcript.

Every bot is a real server on 127.0.0.1 (tests/support/third_party_bots.py); the CLI runs in a
worker thread with its own event loop, as from a shell.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from convsim_core import TerminationReason
from convsim_core.models import ParticipantRole
from convsim_core.persistence import Transcript, read_transcript
from tests.support.ports import free_port
from tests.support.third_party_bots import (
    FAREWELL,
    BotFrameworkBot,
    BotkitWsBot,
    JsonArrayWebhookBot,
    PlainTextWsBot,
    RasaBot,
)
from tests.support.timeouts import MS, TIMEOUT
from tui.cli import main

SCENARIO = """
name = "third-party"
title = "A first conversation with a third-party bot"
max_messages = 12
seed = 1

[[intents]]
role = "customer"
description = "Get the duplicate charge refunded."

[initial_message]
sender = "customer"
content = "Hello"

[customer]
kind = "scripted"
turns = {turns}

[[outcomes]]
name = "resolved"
description = "The refund is on its way."
keywords = ["refund is on its way"]
said_by = "agent"

[termination]
settle_seconds = {settle_seconds}
response_timeout = {response_timeout}
inactivity_timeout = {inactivity_timeout}
max_wall_time = {max_wall_time}
typing_delay = false
"""


def scenario(
    tmp_path: Path,
    turns: Sequence[str] = ("Yes", "Thanks, goodbye"),
    response_timeout: float = 3000 * MS,
) -> Path:
    path = tmp_path / "third-party.toml"
    text = SCENARIO.replace("{turns}", str(list(turns)).replace("'", '"'))
    for key, seconds in {
        "settle_seconds": 300 * MS,
        "response_timeout": response_timeout,
        "inactivity_timeout": 4000 * MS,
        "max_wall_time": 30_000 * MS,
    }.items():
        text = text.replace(f"{{{key}}}", str(seconds))
    path.write_text(text)
    return path


async def cli(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = await asyncio.wait_for(asyncio.to_thread(main, list(argv)), TIMEOUT * 4)
    seen = capsys.readouterr()
    return code, seen.out, seen.err


def printed_profile(out: str) -> dict[str, Any]:
    """The TOML the probe printed (everything from its ``[bot]`` line on)."""
    start = out.index("\n[bot]\n") + 1
    table: dict[str, Any] = tomllib.loads(out[start:])["bot"]
    return table


async def probe_then_connect(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str, **kw: Any
) -> tuple[dict[str, Any], Transcript, str]:
    code, out, err = await cli(["probe", url, "--timeout", str(TIMEOUT / 2), *extra], capsys)
    assert code == 0, out + err
    profile = printed_profile(out)
    bot_file = tmp_path / "bot.toml"
    bot_file.write_text(out[out.index("\n[bot]\n") + 1 :])
    transcript_path = tmp_path / "run.jsonl"
    argv = ["connect", str(scenario(tmp_path, **kw)), "--profile", str(bot_file), "--headless"]
    code, shown, err = await cli([*argv, "--out", str(transcript_path)], capsys)
    assert code == 0, shown + err
    return profile, read_transcript(transcript_path), out


def agent_texts(transcript: Transcript) -> list[str]:
    return [m.display_text() for m in transcript.messages if m.sender is ParticipantRole.AGENT]


# -- probe, then a real conversation with the printed profile --------------------------------------


async def test_plain_text_websocket_bot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with PlainTextWsBot() as bot:
        profile, saved, out = await probe_then_connect(bot.url, tmp_path, capsys)
    assert "recognised: plain text over WebSocket" in out
    assert "<- " in out and "You said:" in out  # the frames are shown
    assert profile == {"url": bot.url, "preset": "plain-ws"}
    assert bot.received[-3:] == ["Hello", "Yes", "Thanks, goodbye"]  # plain text, no JSON
    assert agent_texts(saved)[-1] == FAREWELL  # the last word is recorded
    assert saved.result is not None
    assert saved.result.termination_reason is TerminationReason.CLOSING_PHRASE
    assert saved.header["bot"]["preset"] == "plain-ws"


async def test_botkit_websocket_bot_with_quick_replies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with BotkitWsBot() as bot:
        profile, saved, out = await probe_then_connect(bot.url, tmp_path, capsys)
    assert "recognised: Botkit-style JSON over WebSocket" in out and "typing frames" in out
    assert "[buttons: Yes | No]" in out
    assert profile == {"url": bot.url, "preset": "generic-ws"}
    assert bot.parse_errors == []
    conversation = [m for m in bot.received if m["type"] == "message"][-3:]
    users = {m["user"] for m in conversation}
    assert len(users) == 1  # one conversation, keyed by "user" as Botkit does
    # The scripted "Yes" matched a quick reply and went out as its payload.
    assert [m["text"] for m in conversation] == ["Hello", "yes", "Thanks, goodbye"]
    customer = [m for m in saved.messages if m.sender is ParticipantRole.CUSTOMER]
    assert customer[1].content == "Yes" and customer[1].choice is not None
    assert customer[1].choice.payload == "yes"
    texts = agent_texts(saved)
    assert texts[0] == "Is this about a refund?\n[buttons: Yes | No]"
    assert texts[-1] == FAREWELL
    assert saved.header["bot"]["ids"]["user"] == users.pop()


async def test_webhook_answering_a_json_array(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with JsonArrayWebhookBot() as bot:
        profile, saved, out = await probe_then_connect(bot.url, tmp_path, capsys)
    assert "recognised: JSON webhook answering a JSON array" in out
    assert profile == {"url": bot.url, "preset": "generic-json"}
    assert agent_texts(saved)[0] == "Hi! How can I help you today?"
    assert agent_texts(saved)[-1] == FAREWELL
    assert saved.result is not None and saved.result.protocol_errors == ()


async def test_rasa_callback_bot_with_an_image_and_buttons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    callback = f"http://127.0.0.1:{port}/bot"  # the url in the bot's credentials.yml
    async with RasaBot(callback_url=callback) as bot:
        url = bot.origin + "/webhooks/callback/webhook"
        profile, saved, out = await probe_then_connect(
            url, tmp_path, capsys, "--callback-url", callback
        )
    assert "recognised: Rasa callback channel" in out
    assert "[image] https://example.invalid/invoice.png" in out
    assert profile["preset"] == "rasa-rest" and profile["response_mode"] == "callback"
    assert profile["callback"] == {"host": "127.0.0.1", "port": port, "path": "/bot"}
    assert 400 not in bot.callback_statuses and 404 not in bot.callback_statuses
    assert set(bot.callback_statuses) == {200}
    texts = agent_texts(saved)
    assert "[image] https://example.invalid/invoice.png" in texts
    assert "Shall I refund the duplicate charge?\n[buttons: Yes | No]" in texts
    assert "Great, your refund is on its way." in texts
    assert texts[-1] == "Bye"  # Rasa's answer to the goodbye is no longer thrown away
    sent = [m["message"] for m in bot.received]
    assert "/affirm" in sent  # the button press went out as its payload, the Rasa way
    image = next(m for m in saved.messages if m.attachments)
    assert image.attachments[0].kind == "image"
    assert saved.header["bot"]["ids"]["sender"] == bot.received[-1]["sender"]


async def test_botframework_bot_answering_201_that_greets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with BotFrameworkBot() as bot:
        profile, saved, out = await probe_then_connect(
            bot.url, tmp_path, capsys, turns=("Thanks, goodbye",)
        )
    assert "recognised: Bot Framework" in out
    assert "answers HTTP 201" in out and "greets on conversationUpdate" in out
    assert profile == {"url": bot.url, "preset": "botframework"}
    texts = agent_texts(saved)
    assert texts[0] == "Hello and welcome!"  # the welcome, before the customer spoke
    assert saved.messages[0].sender is ParticipantRole.AGENT
    assert texts[-1] == FAREWELL, (saved.messages, saved.result)
    assert bot.unhandled_errors == []  # no connector call of ours answered 404
    kinds = [a["type"] for a in bot.received]
    assert kinds.count("conversationUpdate") == 2  # the probe's and the conversation's
    ids = saved.header["bot"]["ids"]
    assert ids["conversation.id"] == bot.received[-1]["conversation"]["id"]
    assert ids["from.id"] == bot.received[-1]["from"]["id"]
    assert saved.result is not None
    # 201 ended each turn: no waiting out the settle time for a bot that said it was done.
    assert saved.result.termination_reason is TerminationReason.CLOSING_PHRASE


# -- no profile at all -----------------------------------------------------------------------------


async def test_ws_url_alone_works_for_botkit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.jsonl"
    async with BotkitWsBot() as bot:
        argv = [
            "connect",
            str(scenario(tmp_path)),
            "--ws",
            bot.url,
            "--headless",
            "--out",
            str(out),
        ]
        code, shown, err = await cli(argv, capsys)
    assert code == 0, shown + err
    saved = read_transcript(out)
    assert agent_texts(saved)[-1] == FAREWELL
    assert saved.header["bot"] == {
        "kind": "websocket",
        "url": bot.url,
        "preset": "generic-ws",
        "session_mode": "connection",
        "ids": saved.header["bot"]["ids"],
    }


async def test_webhook_url_alone_reads_a_json_array(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.jsonl"
    async with JsonArrayWebhookBot() as bot:
        argv = ["connect", str(scenario(tmp_path)), "--webhook", bot.url, "--headless"]
        code, shown, err = await cli([*argv, "--out", str(out)], capsys)
    assert code == 0, shown + err
    assert agent_texts(read_transcript(out))[-1] == FAREWELL


# -- misconfigured: never silent -------------------------------------------------------------------


async def test_a_reply_path_matching_nothing_exits_1_naming_the_protocol_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.jsonl"
    bot_file = tmp_path / "bot.toml"
    async with JsonArrayWebhookBot() as bot:
        bot_file.write_text(
            f'[bot]\nurl = "{bot.url}"\n[bot.reply]\nformat = "json"\ntext = "replies[*].text"\n'
        )
        argv = ["connect", str(scenario(tmp_path)), "--profile", str(bot_file), "--headless"]
        code, shown, err = await cli([*argv, "--out", str(out)], capsys)
    assert code == 1
    assert "no reply text at 'replies[*].text'" in err
    assert "unreadable bot message" in shown
    saved = read_transcript(out)
    assert saved.result is not None
    assert saved.result.termination_reason is TerminationReason.UNREADABLE_REPLIES
    assert saved.result.protocol_errors
    code, shown, _ = await cli(["show", str(out)], capsys)
    assert code == 0
    assert "Unreadable:" in shown and "unreadable replies" in shown
    assert f"bot: webhook {bot.url} (preset generic-json, profile {bot_file})" in shown
    assert "ids the bot saw: convsim_session = " in shown and "session_id = " in shown


async def test_a_filter_that_drops_every_reply_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.jsonl"
    bot_file = tmp_path / "bot.toml"
    async with BotkitWsBot() as bot:
        bot_file.write_text(
            f'[bot]\nurl = "{bot.url}"\n[bot.reply]\n'
            'filter = { path = "type", equals = "reply" }\n'
        )
        argv = ["connect", str(scenario(tmp_path)), "--profile", str(bot_file), "--headless"]
        code, _, err = await cli([*argv, "--out", str(out)], capsys)
    assert code == 1
    assert "filtered out by reply.filter" in err


async def test_a_plain_text_bot_behind_a_json_profile_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.jsonl"
    bot_file = tmp_path / "bot.toml"
    async with PlainTextWsBot() as bot:
        bot_file.write_text(f'[bot]\nurl = "{bot.url}"\npreset = "demo-ws"\n')
        argv = ["connect", str(scenario(tmp_path)), "--profile", str(bot_file), "--headless"]
        code, _, err = await cli([*argv, "--out", str(out)], capsys)
    assert code == 1
    assert "frame is not JSON" in err or "has no 'session_id' field" in err


async def test_probe_exits_1_when_nothing_usable_comes_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with JsonArrayWebhookBot() as bot:
        code, out, _ = await cli(["probe", bot.origin + "/nowhere", "--timeout", "1"], capsys)
    assert code == 1
    assert "HTTP 404" in out and "no bot profile" in out


async def test_probe_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = await cli(["probe", "ftp://example.invalid/bot"], capsys)
    assert code == 2 and "expected a ws://" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["probe", "ws://127.0.0.1:9/", "--timeout", "nan"])
    assert exit_info.value.code == 2


# -- batches: counts per scenario, exit code -------------------------------------------------------


async def test_a_batch_with_unreadable_replies_exits_1_and_counts_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from convsim_core.batch import collect
    from convsim_core.batch.html import render_conversation

    out = tmp_path / "batch"
    bot_file = tmp_path / "bot.toml"
    async with JsonArrayWebhookBot() as bot:
        bot_file.write_text(
            f'[bot]\nurl = "{bot.url}"\n[bot.reply]\nformat = "json"\ntext = "replies[*].text"\n'
        )
        argv = ["batch", str(scenario(tmp_path)), "--runs", "2", "-c", "2", "--out", str(out)]
        code, shown, err = await cli([*argv, "--headless", "--profile", str(bot_file)], capsys)
    assert code == 1, shown + err
    assert "unreadable bot replies (protocol errors):" in shown
    assert "2 ended unreadable_replies" in shown
    summary = json.loads((out / "summary.json").read_text())
    row = summary["scenarios"][0]
    assert row["unreadable_replies"] == 2 and row["protocol_error_runs"] == 2
    assert row["protocol_errors"] >= 2
    header = (out / "summary.csv").read_text().splitlines()[0].split(",")
    assert {"protocol_errors", "protocol_error_runs", "unreadable_replies"} <= set(header)
    html_file = tmp_path / "report.html"
    code, _, err = await cli(["report", str(out), "--html", str(html_file)], capsys)
    assert code == 0, err
    assert "unreadable bot replies" in html_file.read_text()
    record = collect([out]).records[0]
    page = render_conversation(record, back="index.html", rerun="convsim ...")
    assert "unreadable replies" in page and "ids the bot saw" in page


async def test_secrets_in_a_typed_url_stay_out_of_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A URL on the command line may carry a password or token; what convsim prints (CI logs)
    and saves names the bot without them."""
    async with JsonArrayWebhookBot() as bot:
        url = bot.url.replace("http://", "http://alice:pa55word@") + "?token=t0ken"
        out_file = tmp_path / "run.jsonl"
        argv = ["connect", str(scenario(tmp_path)), "--webhook", url, "--headless"]
        code, out, err = await cli([*argv, "--out", str(out_file)], capsys)
    assert code == 0, out + err
    assert "token=***" in out
    saved = out_file.read_text()
    for secret in ("pa55word", "t0ken"):
        assert secret not in out + err + saved
    gone = url.replace(f":{bot.url.split(':')[2].split('/')[0]}/", f":{free_port()}/")
    code, out, err = await cli([*argv[:3], gone, "--headless"], capsys)
    assert code == 2 and "cannot reach http://127.0.0.1:" in err, err  # checked before the run
    assert "pa55word" not in err and "t0ken" not in err
