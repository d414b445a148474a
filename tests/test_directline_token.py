"""Direct Line token mode (``token_env``): one conversation per token, never /tokens/generate.

The test service enforces what the real one does: ``/tokens/generate`` takes only the secret,
``POST /conversations`` with a token starts (201) or returns (200) that token's conversation,
``/tokens/refresh`` takes only a token.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from channels.directline import DirectLineChannel, DirectLineSession
from channels.factory import check_reachable, make_channel
from channels.profile import BotProfile, ProfileError, profile_for_url
from convsim_core.channel import ChannelError
from convsim_core.persistence import read_transcript
from tests.support.directline_server import SECRET, DirectLineServer
from tests.support.refund_scenario import refund_toml
from tests.support.timeouts import MS, TIMEOUT
from tests.support.wire_bots import Hooks
from tests.test_directline_channel import customer
from tui.batch_checks import check_channel_setup
from tui.cli import main
from tui.wiring.errors import UserError

PATIENT = {"attempts": 40, "backoff": 0.05, "max_backoff": 0.2}


def token_profile(url: str, token: str, **directline: Any) -> BotProfile:
    base = {
        "reconnect": PATIENT,
        "connect_timeout": TIMEOUT,
        "directline": {"token_env": "DIRECTLINE_TOKEN", "poll_interval": 0.05, **directline},
    }
    env = {"DIRECTLINE_TOKEN": token}
    return profile_for_url(url, kind="directline", preset="directline", base=base, environ=env)


async def generate_token(server: DirectLineServer) -> tuple[str, str]:
    """What a web-chat token endpoint does with the secret: ``POST /tokens/generate``."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            server.url + "/v3/directline/tokens/generate",
            headers={"Authorization": f"Bearer {SECRET}"},
        ) as response,
    ):
        assert response.status == 200
        body = await response.json()
    return str(body["token"]), str(body["conversationId"])


@pytest.fixture
async def server() -> AsyncIterator[DirectLineServer]:
    async with DirectLineServer(welcome="Hello! I'm the Brightbox bot.") as running:
        yield running


@pytest.fixture
async def token(server: DirectLineServer, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.delenv("DIRECTLINE_SECRET", raising=False)
    value, conversation_id = await generate_token(server)
    monkeypatch.setenv("DIRECTLINE_TOKEN", value)
    server.authorizations.clear()
    return value, conversation_id


async def test_a_token_starts_its_own_conversation_and_is_refreshed(
    server: DirectLineServer, token: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server.token_lifetime = 1000 * MS
    value, conversation_id = await generate_token(server)  # a short-lived one
    monkeypatch.setenv("DIRECTLINE_TOKEN", value)
    server.authorizations.clear()
    profile = token_profile(server.url, value, refresh_margin=500 * MS)
    await check_reachable(profile)  # no /tokens/generate: that needs the secret
    assert server.generated == 2
    assert server.rejected == 0
    channel = make_channel(profile)
    assert isinstance(channel, DirectLineChannel)
    session = await channel.create_session()
    assert isinstance(session, DirectLineSession)
    hooks = Hooks(session)
    async with asyncio.timeout(TIMEOUT):
        assert await hooks.texts_after(1) == ["Hello! I'm the Brightbox bot."]
        await server.wait_for_refreshes(1)
        await session.send(customer("hi there"))
        await hooks.texts_after(2)
    await channel.close()
    assert session.conversation_id == conversation_id  # the token's, not a new one
    assert server.token_starts == 1
    assert server.received[conversation_id] == ["hi there"]
    assert hooks.texts[1] == "echo: hi there"
    assert f"Bearer {SECRET}" not in server.authorizations
    assert server.rejected == 0


async def test_a_token_is_for_one_conversation(
    server: DirectLineServer, token: tuple[str, str]
) -> None:
    channel = make_channel(token_profile(server.url, token[0]))
    await channel.create_session()
    with pytest.raises(ChannelError, match=r"is for one conversation and it is taken"):
        await channel.create_session()
    await channel.close()
    assert len([c for c in server.conversations.values() if c.started]) == 1


async def test_a_token_given_as_the_secret_fails_the_secret_check(
    server: DirectLineServer, token: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why token mode exists: the secret check (/tokens/generate) refuses a token, as Azure does."""
    monkeypatch.setenv("DIRECTLINE_SECRET", token[0])
    profile = profile_for_url(
        server.url, kind="directline", preset="directline", environ={"DIRECTLINE_SECRET": "x"}
    )
    with pytest.raises(ChannelError, match=r"refused the secret in \$DIRECTLINE_SECRET"):
        await check_reachable(profile)


async def test_a_wrong_token_is_one_error_at_the_start(
    server: DirectLineServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIRECTLINE_TOKEN", "not-a-token")
    channel = make_channel(token_profile(server.url, "not-a-token"))
    with pytest.raises(ChannelError, match=r"refused starting a conversation with HTTP 403"):
        await channel.create_session()
    await channel.close()


def test_token_env_and_secret_env_are_exclusive() -> None:
    env = {"DIRECTLINE_TOKEN": "t", "DIRECTLINE_SECRET": "s"}
    both = {"directline": {"token_env": "DIRECTLINE_TOKEN", "secret_env": "DIRECTLINE_SECRET"}}
    with pytest.raises(ProfileError, match=r"token_env: set secret_env or token_env, not both"):
        profile_for_url("http://h:1", kind="directline", base=both, environ=env)
    with pytest.raises(ProfileError, match=r"token_env: environment variable DL_T is not set"):
        profile_for_url(
            "http://h:1", kind="directline", base={"directline": {"token_env": "DL_T"}}, environ={}
        )
    profile = token_profile("http://h:1", "t")
    assert profile.directline.secret_env is None
    assert profile.directline.credential_env == "DIRECTLINE_TOKEN"


def test_a_batch_of_more_than_one_conversation_on_a_token_is_refused() -> None:
    profile = token_profile("http://h:1", "t")
    check_channel_setup({"refund": profile}, {"refund": 1})
    with pytest.raises(UserError, match=r"\(\$DIRECTLINE_TOKEN\) is for one conversation and"):
        check_channel_setup({"refund": profile, "other": profile}, {"refund": 1, "other": 1})


async def test_connect_with_a_token_and_batch_refuses_many(
    tmp_path: Path,
    server: DirectLineServer,
    token: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario, out = tmp_path / "refund.toml", tmp_path / "run.jsonl"
    scenario.write_text(refund_toml(reconnect=True))
    profile = tmp_path / "bot.toml"
    profile.write_text(
        f'[bot]\npreset = "directline"\nurl = "{server.url}"\n\n'
        '[bot.directline]\ntoken_env = "DIRECTLINE_TOKEN"\n'
    )
    argv = ["connect", str(scenario), "--profile", str(profile), "--max-messages", "4"]
    code = await asyncio.to_thread(main, [*argv, "--headless", "--out", str(out)])
    seen = capsys.readouterr()
    assert code == 0, seen.err
    assert "Hello! I'm the Brightbox bot." in seen.out
    assert token[0] not in out.read_text(encoding="utf-8")
    assert read_transcript(out).result is not None
    batch = ["batch", str(scenario), "--profile", str(profile), "--runs", "3", "--headless"]
    code = await asyncio.to_thread(main, [*batch, "--out", str(tmp_path / "b")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [
        "convsim: error: a Direct Line token ($DIRECTLINE_TOKEN) is for one conversation and this"
        " batch has 3: use secret_env (the Direct Line secret) or --runs 1"
    ]


async def test_a_session_closed_at_once_leaves_no_unawaited_coroutine(
    server: DirectLineServer, token: tuple[str, str]
) -> None:
    """Closed before its tasks ran (a run that ended at once): no RuntimeWarning at exit."""
    channel = make_channel(token_profile(server.url, token[0]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        session = await channel.create_session()
        await session.close()
        await channel.close()
        del session
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []
