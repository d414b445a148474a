"""Webhook channel: each customer message is an HTTP request to the bot.

Replies come back in the response body (``response_mode = "sync"``: one response is one bot turn)
or later as POSTs to a :class:`CallbackServer` convsim runs (``"callback"``), routed to their
session by the profile's ``reply.session`` path. One aiohttp ``ClientSession`` per channel keeps
connections alive across messages and sessions.

Each session posts its messages one at a time, in order, from its own task: ``send()`` returns
as soon as the message is queued, so a slow bot delays neither the runner nor other sessions, and
a reply can never overtake the message it answers.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import aiohttp
import attrs

from channels.callback_server import CallbackServer, Verdict
from channels.codec import Inbound, Outgoing, excerpt
from channels.errors import WRONG_ENDPOINT, describe, wrong_endpoint
from channels.health import check_reachable
from channels.preflight import ListenError
from channels.profile import BotProfile, ProfileError
from channels.sessions import ChannelSession, FramedChannel, SessionRegistry
from channels.signing import SIGNATURE_HEADER, sign
from channels.tasks import cancel_and_wait
from channels.where import wire_ids
from convsim_core.channel import ChannelError, ChannelState, ProtocolError
from convsim_core.models import Message
from convsim_core.textsafe import one_line

logger = logging.getLogger(__name__)

# Failures where the request cannot have reached the bot (connection refused, DNS, TLS: all
# ClientConnectorError), so sending it again cannot make the bot process a message twice.
_RETRYABLE: tuple[type[Exception], ...] = (aiohttp.ClientConnectorError,)
# Failures after the request may have been read ("Server disconnected" mid-request); retried
# only when the profile opts in with [bot.reconnect] retry_sent = true.
_MAYBE_DELIVERED: tuple[type[Exception], ...] = (
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
)
_FINISHED_KEPT = 10_000
"""Ids of finished sessions remembered, so their late callbacks are acknowledged, not 404."""


class WebhookSession(ChannelSession["WebhookChannel"]):
    """One conversation; a private task posts its queued messages in order."""

    def __init__(self, channel: WebhookChannel, session_id: str) -> None:
        super().__init__(channel, session_id)
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._worker = asyncio.create_task(self._work(), name=f"webhook {self.session_id}")

    async def send(self, message: Message) -> None:
        self._check_open()
        body = self._channel.encode(self, message)
        self._record(message)
        self._outbox.put_nowait(body)

    def describe(self) -> dict[str, str]:
        return wire_ids(self._channel.profile.request.body, self.session_id)

    @property
    def pending_posts(self) -> int:
        """Messages queued behind the one being posted."""
        return self._outbox.qsize()

    async def _release(self) -> None:
        await cancel_and_wait([self._worker])

    async def _work(self) -> None:
        try:
            while self.is_open:
                body = await self._outbox.get()
                await self._channel.post(self, body)
        except Exception as exc:  # a bug here must end the session loudly, not hang it
            logger.exception("webhook session %s failed", self.session_id)
            self.fail(ChannelError(f"webhook channel error: {describe(exc)}"))


class WebhookChannel(FramedChannel[WebhookSession]):
    """Reaches an HTTP bot as its :class:`BotProfile` describes."""

    kind = "webhook"

    def __init__(self, profile: BotProfile) -> None:
        super().__init__(profile, SessionRegistry(remember_finished=_FINISHED_KEPT))
        self._http: aiohttp.ClientSession | None = None
        self._server: CallbackServer | None = None
        self._url = ""
        self._secret: bytes | None = None
        self._start_lock = asyncio.Lock()

    @property
    def callback_server(self) -> CallbackServer | None:
        """The running callback server (callback mode, after the first session)."""
        return self._server

    async def create_session(self) -> WebhookSession:
        """Check the bot is reachable (once), start any callback server, open a session."""
        await self._start()
        session = WebhookSession(self, uuid.uuid4().hex)
        self.sessions.add(session)
        setup = self._render_setup(session)
        if setup is not None:
            # Posted before the session is handed out, so the bot's welcome (Bot Framework's
            # answer to conversationUpdate) is in the inbox before the customer says a word.
            await self.post(session, setup, setup=True)
        session.start()
        return session

    async def _release(self) -> None:
        if self._server is not None:
            await self._server.stop()
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- wire -------------------------------------------------------------------------------

    async def _start(self) -> None:
        async with self._start_lock:
            self.sessions.check_open()
            if self._http is not None:
                return
            profile = self.profile
            try:
                self._url = profile.resolved_url()
                headers = profile.resolved_headers()
                self._secret = profile.signing_secret()
            except ProfileError as exc:
                raise ChannelError(str(exc)) from exc
            await check_reachable(profile)
            if profile.response_mode == "callback":
                server = CallbackServer(
                    profile.callback,
                    max_body_bytes=profile.max_body_bytes,
                    secret=self._secret,
                    handler=self._on_callback,
                )
                try:
                    await server.start()
                except OSError as exc:
                    raise ListenError(
                        f"cannot listen on {profile.callback.host}:{profile.callback.port}"
                        f" for the bot's callbacks: {describe(exc)}"
                    ) from exc
                self._server = server
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=profile.connect_timeout)
            # aiohttp's default pool (100 connections) would make the 101st concurrent
            # conversation wait for a connection inside its response timeout.
            connector = aiohttp.TCPConnector(limit=profile.max_connections, limit_per_host=0)
            self._http = aiohttp.ClientSession(
                headers=headers, timeout=timeout, connector=connector
            )

    def _outgoing(
        self, session: WebhookSession, text: str, timestamp: datetime, message: Message | None
    ) -> Outgoing:
        server = self._server
        return Outgoing(
            text=text,
            session_id=session.session_id,
            timestamp=timestamp,
            callback_url=server.callback_url if server else "",
            service_url=server.base_url if server else "",
            choice=message.choice if message is not None else None,
        )

    def encode(self, session: WebhookSession, message: Message) -> str:
        outgoing = self._outgoing(session, message.content, message.timestamp, message)
        return self.codec.encode(outgoing)

    def _render_setup(self, session: WebhookSession) -> str | None:
        return self.codec.encode_setup(self._outgoing(session, "", datetime.now(UTC), None))

    async def post(self, session: WebhookSession, body: str, *, setup: bool = False) -> None:
        """POST one body, retrying only failures that cannot have reached the bot's handler.

        ``setup``: the session-start message; its answer is no bot turn.
        """
        assert self._http is not None
        profile = self.profile
        retryable = _RETRYABLE + (_MAYBE_DELIVERED if profile.reconnect.retry_sent else ())
        data = body.encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret, data)
        attempt = 0
        while True:
            try:
                # Never follow a redirect: aiohttp would turn the POST into a GET and take that
                # page for the bot's reply.
                request = self._http.request(
                    profile.method, self._url, data=data, headers=headers, allow_redirects=False
                )
                async with asyncio.timeout(profile.response_timeout), request as resp:
                    status = resp.status
                    payload = await _read_capped(resp, profile.max_body_bytes)
                    location = resp.headers.get("Location", "")
                break
            except retryable as exc:
                attempt += 1
                if attempt > profile.reconnect.attempts:
                    error = ChannelError(
                        f"lost the connection to {profile.url} ({describe(exc)});"
                        f" gave up after {profile.reconnect.attempts} retry attempt(s)"
                    )
                    session.report_state(ChannelState.FAILED, str(error))
                    session.undelivered += 1 + session.pending_posts
                    session.fail(error)
                    return
                session.report_state(
                    ChannelState.RECONNECTING,
                    f"{describe(exc)}; retry {attempt}/{profile.reconnect.attempts}",
                )
                await asyncio.sleep(profile.reconnect.delay(attempt))
            except TimeoutError:
                self._turn_failed(
                    session,
                    ProtocolError(
                        f"no HTTP response within {profile.response_timeout:g} s", answered=False
                    ),
                    setup=setup,
                )
                return
            except ProtocolError as error:  # oversized response
                self._turn_failed(session, error, setup=setup)
                return
            except aiohttp.ClientError as exc:
                # Not retried: the bot may have processed the message already.
                failure = ProtocolError(
                    f"HTTP request failed: {describe(exc)} (not sent again: the bot may have"
                    " processed it)",
                    answered=False,
                )
                self._turn_failed(session, failure, setup=setup)
                return
        if attempt:
            session.report_state(ChannelState.CONNECTED, "reachable again")
        if 300 <= status < 400:
            where = f" to {one_line(location[:200])}" if location else ""
            self._turn_failed(
                session,
                ProtocolError(
                    f"bot answered HTTP {status} (a redirect{where}); convsim does not follow"
                    " redirects for POSTs: put the final URL in the profile",
                    f"HTTP {status} redirect{where}",  # what transcripts and screens show
                ),
                setup=setup,
            )
            return
        self._handle_response(session, status, payload, setup=setup)

    def _turn_failed(
        self, session: WebhookSession, error: ProtocolError, *, setup: bool = False
    ) -> None:
        session.report_protocol_error(error)
        if self.profile.response_mode == "sync" and not setup:
            # The exchange is over either way; say so rather than leave the runner waiting.
            session.deliver(Inbound(texts=(), turn_complete=True))

    def _handle_response(
        self, session: WebhookSession, status: int, payload: bytes, *, setup: bool = False
    ) -> None:
        if not 200 <= status < 300:
            if status in WRONG_ENDPOINT:
                # No bot at this URL: not a reply that could not be read (so no protocol error,
                # no "unreadable" count), and every later message would get the same answer.
                # End with channel_error now, worded as an unreachable bot.
                failure = wrong_endpoint(self.profile.url, self.profile.method, status)
                logger.info("session %s: %s", session.session_id, failure)
                session.fail(failure)
                return
            what = " to the session-start message" if setup else ""
            # The status leads the excerpt: a transcript that says only "crash" hides that the
            # bot answered HTTP 500, and attribution names 5xx answers from it.
            shown = excerpt(f"HTTP {status}: ".encode() + payload if payload.strip() else b"")
            error = ProtocolError(f"bot answered HTTP {status}{what}", shown or f"HTTP {status}")
            self._turn_failed(session, error, setup=setup)
            return
        if self.profile.response_mode == "callback":
            # Replies come by callback. Any 2xx but 202 Accepted ("still working on it") from a
            # bot that holds its response until its turn handler finished ends the turn (Bot
            # Framework SDKs answer 200 or 201).
            if self.profile.response_ends_turn and status != 202 and not setup:
                session.deliver(Inbound(texts=(), turn_complete=True))
            return
        inbound: Inbound | None = Inbound(texts=())
        if payload.strip():
            try:
                inbound = self.codec.decode(payload)
            except ProtocolError as error:
                self._turn_failed(session, error, setup=setup)
                return
        # A sync response is one whole bot turn.
        if inbound is None:
            inbound = Inbound(texts=())
        session.deliver(attrs.evolve(inbound, turn_complete=not setup))

    def _on_callback(self, body: bytes, conversation_id: str | None) -> Verdict:
        """Route one callback to its session; the verdict becomes the HTTP answer."""
        try:
            document = self.codec.parse(body)
        except ProtocolError as error:
            return _malformed(error)
        try:
            session_id = self.codec.session_of(document)
        except ProtocolError as error:
            if conversation_id is None:
                return _malformed(error)
            session_id = conversation_id
        session = self.sessions.get(session_id)
        if session is None or not session.is_open:
            if session is not None or self.sessions.finished(session_id):
                # A conversation convsim started and already ended: the bot did nothing wrong
                # (an answer to the closing message that came after the grace period).
                logger.info(
                    "late reply for finished conversation %s acknowledged, not recorded: %s",
                    session_id,
                    excerpt(body),
                )
                return Verdict(200)
            return Verdict(404, f"unknown session {session_id!r}")
        unreadable = session.deliver_from(lambda: self.codec.interpret(document))
        return Verdict(200) if unreadable is None else _malformed(unreadable)


def _malformed(error: ProtocolError) -> Verdict:
    """The answer to a callback the channel cannot read: 400 with the reason and an excerpt."""
    return Verdict(400, f"{error} [{error.excerpt}]")


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, or a ProtocolError as soon as it passes ``limit`` bytes (never read it all)."""
    length = response.content_length
    if length is not None:
        if length > limit:
            raise ProtocolError(f"response of {length} bytes exceeds max_body_bytes ({limit})")
        return await response.read()  # the length is known and within bounds
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(
                f"response of more than {limit} bytes exceeds max_body_bytes ({limit})",
                excerpt(chunks[0] if chunks else chunk),
            )
        chunks.append(chunk)
    return b"".join(chunks)
