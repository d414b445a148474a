"""Direct Line 3.0 channel: how production Bot Framework bots on Azure Bot Service are reached.

Each session starts its own Direct Line conversation (``POST /conversations`` with the secret),
then uses the conversation's token only. In token mode (``token_env``) the one conversation the
token is for is started with it, and a second session is refused. Replies arrive on the
conversation's stream WebSocket (``streamUrl``: activity sets and empty keep-alive frames);
when the stream drops, the session reconnects from its watermark
(``GET /conversations/{id}?watermark=``) so nothing is missed, and when the stream cannot be
had at all it polls ``GET .../activities?watermark=`` every ``poll_interval`` and right after
each message was posted. Replays are dropped by activity id
(:mod:`channels.directline_activities`). Customer messages are POSTed one at a time, in order,
by a per-session task; the token is refreshed before it expires.

The secret is read from the environment variable the profile names, only when a conversation
starts; neither it, nor a token, nor the stream URL (which carries a token) is ever logged or
put in an error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from channels.codec import Outgoing
from channels.directline_activities import ActivityReader, parse_activity_set
from channels.directline_api import (
    DirectLineApi,
    DirectLineConversation,
    DirectLineError,
    ExpiredToken,
)
from channels.directline_stream import ActivityStream, StreamHooks, redact
from channels.errors import describe, unreachable
from channels.profile import BotProfile, ProfileError
from channels.sessions import ChannelSession, FramedChannel
from channels.tasks import cancel_and_wait
from convsim_core.channel import ChannelError, ChannelState, ProtocolError
from convsim_core.models import Message

logger = logging.getLogger(__name__)


class DirectLineSession(ChannelSession["DirectLineChannel"]):
    """One Direct Line conversation: a sender, a receiver (stream or polling), a token refresher."""

    def __init__(self, channel: DirectLineChannel, session_id: str) -> None:
        super().__init__(channel, session_id)
        self._spec = channel.profile.directline
        self._api = channel.api
        self.user_id = self._spec.user(session_id)
        self.reader = ActivityReader(self.user_id, self._profile.reply.text)
        self._conversation: DirectLineConversation | None = None
        self._watermark: str | None = None
        self._secret: str | None = None
        self._given_token: str | None = None
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        hooks = StreamHooks(
            on_frame=self._on_frame, on_open=self._stream_opened, redact=self._redact
        )
        self._stream = ActivityStream(self._profile, hooks)
        self._stream_lost = False
        self.polling = False
        self._poke = asyncio.Event()
        """Set after each message was posted: a bot often has its answer ready by then."""
        self.refreshes = 0

    @property
    def conversation_id(self) -> str:
        return self._conversation.conversation_id if self._conversation else ""

    @property
    def _token(self) -> str:
        assert self._conversation is not None
        return self._conversation.token

    # -- starting -------------------------------------------------------------------------------

    async def start(self, bearer: str | None, *, renew_with_secret: bool = True) -> None:
        """Start the conversation with the secret, or the one conversation of a token.

        Only a secret is kept (to renew an expired token); a token is replaced by the
        conversation's own at once and refreshed before it expires.
        """
        self._secret = bearer if renew_with_secret else None
        self._given_token = None if renew_with_secret else bearer
        try:
            self._conversation = await self._api.start(bearer)
        except DirectLineError as exc:
            if exc.status in (0, 404, 405):
                raise unreachable(self._profile.url, str(exc)) from exc
            raise ChannelError(str(exc)) from exc
        logger.info("Direct Line conversation %s started", self.conversation_id)
        spawn = self._spawn
        spawn(self._send_loop, "sender")
        spawn(self._receive_loop, "receiver")
        spawn(self._refresh_loop, "token refresh")
        if self._spec.start_event:
            self._outbox.put_nowait(
                {"type": "event", "name": self._spec.start_event, **self._sender()}
            )

    def _spawn(self, loop: Callable[[], Awaitable[None]], what: str) -> None:
        # The loop's coroutine is made inside the task: a session closed before the task ran
        # leaves no never-awaited coroutine behind (a RuntimeWarning at exit).
        self._tasks.append(asyncio.create_task(self._guard(loop, what), name=f"directline {what}"))

    async def _guard(self, loop: Callable[[], Awaitable[None]], what: str) -> None:
        try:
            await loop()
        except asyncio.CancelledError:
            raise
        except ChannelError as exc:
            self._give_up(exc)
        except Exception as exc:  # a bug must end the session loudly, not hang it
            logger.exception("Direct Line %s of session %s failed", what, self.session_id)
            self._give_up(ChannelError(f"Direct Line {what} failed: {describe(exc)}"))

    def _give_up(self, error: ChannelError) -> None:
        if self.is_open:
            logger.error("%s", error)
            self.report_state(ChannelState.FAILED, str(error))
            self.fail(error)

    def _sender(self) -> dict[str, Any]:
        spec = self._spec
        return {"from": {"id": self.user_id, "name": spec.user_name}, "locale": spec.locale}

    # -- sending --------------------------------------------------------------------------------

    async def send(self, message: Message) -> None:
        self._check_open()
        outgoing = Outgoing(
            text=message.content, session_id=self.session_id, timestamp=message.timestamp
        )
        template = self._profile.request.body
        body = template.render_value(outgoing.values(template.placeholders))
        activity = {**self._sender(), **body} if isinstance(body, dict) else body
        self._record(message)
        self._outbox.put_nowait(activity)

    async def _send_loop(self) -> None:
        while True:
            activity = await self._outbox.get()
            await self._post(activity)

    async def _post(self, activity: dict[str, Any]) -> None:
        policy = self._profile.reconnect
        attempt = 0
        renewed = False
        while True:
            try:
                await self._api.post_activity(self._token, self.conversation_id, activity)
                self._poke.set()
                if attempt:
                    self.report_state(ChannelState.CONNECTED, "reachable again")
                return
            except ExpiredToken:
                if renewed:
                    raise
                renewed = True
                await self._renew()
            except DirectLineError as exc:
                if exc.status != 0 or attempt >= policy.attempts:
                    if exc.status == 0:
                        raise ChannelError(
                            f"lost the connection to {self._profile.url} ({exc});"
                            f" gave up after {policy.attempts} retry attempt(s)"
                        ) from exc
                    # The bot may or may not have the message (Direct Line answers 502 when
                    # the bot is slow): say so, never send it twice.
                    self.report_protocol_error(ProtocolError(str(exc)))
                    return
                attempt += 1
                self.report_state(
                    ChannelState.RECONNECTING, f"{exc}; retry {attempt}/{policy.attempts}"
                )
                await asyncio.sleep(policy.delay(attempt))

    # -- tokens -----------------------------------------------------------------------------------

    async def _refresh_loop(self) -> None:
        while True:
            assert self._conversation is not None
            lifetime = self._conversation.expires_in
            wait = max(lifetime - self._spec.refresh_margin, lifetime / 2, 0.05)
            await asyncio.sleep(wait)
            try:
                self._conversation = await self._api.refresh(self._token, self.conversation_id)
            except ExpiredToken:
                await self._renew()
            except DirectLineError as exc:
                logger.warning("session %s: token refresh failed: %s", self.session_id, exc)
                continue
            self.refreshes += 1
            logger.info("session %s: Direct Line token refreshed", self.session_id)

    async def _renew(self) -> None:
        """The token expired: a new one from the secret (reconnecting), if there is one."""
        if self._secret is None:
            given = self._spec.token_env
            hint = f" (a token from ${given} cannot be renewed once expired)" if given else ""
            raise ChannelError(
                f"the Direct Line token for {self._profile.url} expired and there is no secret"
                f" to get a new one{hint}"
            )
        self._conversation = await self._api.reconnect(
            self._secret, self.conversation_id, self._watermark
        )
        self.refreshes += 1
        logger.info("session %s: Direct Line token renewed with the secret", self.session_id)

    # -- receiving --------------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        policy = self._profile.reconnect
        failures = 0
        while self._spec.stream and failures <= policy.attempts:
            assert self._conversation is not None
            url = self._conversation.stream_url
            if url is None:
                break
            cause = await self._stream.read(url)
            if cause is None:
                failures = 0
                cause = "the stream closed"
            else:
                failures += 1
            if failures > policy.attempts:
                break
            self._stream_lost = True
            self.report_state(ChannelState.RECONNECTING, cause)
            await asyncio.sleep(policy.delay(max(failures, 1)))
            with contextlib.suppress(DirectLineError):
                self._conversation = await self._reconnect_stream()
        self.polling = True
        if self._spec.stream:
            logger.warning("session %s: no Direct Line stream; polling", self.session_id)
            self.report_state(ChannelState.CONNECTED, "stream unavailable; polling for activities")
        await self._poll_loop()

    async def _reconnect_stream(self) -> DirectLineConversation:
        try:
            return await self._api.reconnect(self._token, self.conversation_id, self._watermark)
        except ExpiredToken:
            await self._renew()
            assert self._conversation is not None
            return self._conversation

    def _stream_opened(self) -> None:
        if self._stream_lost:
            self._stream_lost = False
            self.report_state(ChannelState.CONNECTED, "stream reconnected")

    def _redact(self, text: str) -> str:
        token = self._conversation.token if self._conversation else None
        return redact(text, self._secret or self._given_token, token)

    def _on_frame(self, raw: str | bytes) -> None:
        try:
            activity_set = parse_activity_set(raw, self._profile.max_body_bytes)
        except ProtocolError as error:
            self.report_protocol_error(error)
            return
        if activity_set is not None:
            self._hear(activity_set.activities, activity_set.watermark)

    async def _poll_loop(self) -> None:
        policy = self._profile.reconnect
        failures = 0
        while True:
            try:
                activities, mark = await self._api.activities(
                    self._token, self.conversation_id, self._watermark
                )
            except ExpiredToken:
                await self._renew()
                continue
            except DirectLineError as exc:
                failures += 1
                if failures > policy.attempts:
                    raise ChannelError(
                        f"lost the connection to {self._profile.url} ({exc});"
                        f" gave up after {policy.attempts} attempt(s)"
                    ) from exc
                self.report_state(ChannelState.RECONNECTING, str(exc))
                await asyncio.sleep(policy.delay(failures))
                continue
            if failures:
                self.report_state(ChannelState.CONNECTED, "polling again")
            failures = 0
            self._hear(tuple(activities), mark)
            self._poke.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._spec.poll_interval):
                    await self._poke.wait()

    def _hear(self, activities: tuple[Any, ...], watermark: str | None) -> None:
        for activity in activities:
            try:
                heard = self.reader.read(activity)
            except ProtocolError as error:
                self.report_protocol_error(error)
                continue
            if heard is None:
                continue
            if heard.inbound is not None:
                self.deliver(heard.inbound)
            if heard.ended:
                logger.info("session %s: the bot ended the conversation", self.session_id)
                self.finish()
        if watermark is not None:
            self._watermark = watermark

    # -- closing ----------------------------------------------------------------------------------

    async def _release(self) -> None:
        await cancel_and_wait(self._tasks)
        await self._stream.close()


class DirectLineChannel(FramedChannel[DirectLineSession]):
    """Reaches a bot through Direct Line 3.0 as its :class:`BotProfile` describes."""

    kind = "directline"

    def __init__(self, profile: BotProfile) -> None:
        super().__init__(profile)
        self._http: aiohttp.ClientSession | None = None
        self._api: DirectLineApi | None = None
        self._token_used = False
        """Token mode: the one conversation the token is for has been started."""

    @property
    def api(self) -> DirectLineApi:
        assert self._api is not None
        return self._api

    def _credential(self) -> tuple[str | None, bool]:
        """The bearer for ``POST /conversations`` and whether it is a secret (not a token)."""
        spec = self.profile.directline
        name = spec.credential_env
        if name is None:
            return None, False
        key, what = ("token_env", "token") if spec.token_env else ("secret_env", "secret")
        value = os.environ.get(name)
        if not value:
            raise ChannelError(
                f"{self.profile.source}: bot.directline.{key}: environment variable {name}"
                f" is not set (it holds the Direct Line {what})"
            )
        return value, spec.token_env is None

    async def create_session(self) -> DirectLineSession:
        self.sessions.check_open()
        bearer, is_secret = self._credential()
        if self.profile.directline.token_env is not None:
            if self._token_used:
                raise ChannelError(
                    f"a Direct Line token (${self.profile.directline.token_env}) is for one"
                    " conversation and it is taken: use secret_env for more than one"
                )
            self._token_used = True
        if self._http is None:
            try:
                base = self.profile.resolved_url()
                headers = self.profile.resolved_headers()
            except ProfileError as exc:
                raise ChannelError(str(exc)) from exc
            connector = aiohttp.TCPConnector(limit=self.profile.max_connections, limit_per_host=0)
            self._http = aiohttp.ClientSession(headers=headers, connector=connector)
            self._api = DirectLineApi(self._http, base, timeout=self.profile.response_timeout)
        session = DirectLineSession(self, uuid.uuid4().hex)
        await session.start(bearer, renew_with_secret=is_secret)
        self.sessions.add(session)
        return session

    async def _release(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
