"""The Direct Line 3.0 REST calls convsim makes, and what their answers mean.

Endpoints (relative to the profile's URL, ``https://directline.botframework.com/v3/directline``)::

    POST /conversations                   start: {conversationId, token, expires_in, streamUrl}
    GET  /conversations/{id}?watermark=W  reconnect: a fresh token and streamUrl
    POST /tokens/refresh                  a new token for the same conversation
    POST /conversations/{id}/activities   send one activity -> {id}
    GET  /conversations/{id}/activities?watermark=W   poll -> {activities, watermark}

Every call carries ``Authorization: Bearer <secret or token>``. No message built here contains
a secret or a token (nor the stream URL, which holds one): the answers' texts are written for
transcripts and logs.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

import aiohttp
import attrs

from channels.codec import excerpt
from channels.errors import describe
from convsim_core.channel import ChannelError

logger = logging.getLogger(__name__)


class DirectLineError(ChannelError):
    """A Direct Line call failed; ``status`` is the HTTP status (0: no answer at all)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class ExpiredToken(DirectLineError):
    """HTTP 403: the token (or secret) is no longer accepted; get a new one."""


@attrs.frozen(repr=False)
class DirectLineConversation:
    """A started (or reconnected) conversation; repr hides the credentials."""

    conversation_id: str
    token: str
    expires_in: float
    stream_url: str | None

    def __repr__(self) -> str:
        return f"DirectLineConversation({self.conversation_id!r}, expires_in={self.expires_in})"


def _error_text(body: bytes) -> str:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return excerpt(body)
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return " ".join(str(error.get(key, "")) for key in ("code", "message")).strip()
    return excerpt(body)


class DirectLineApi:
    """Calls on one aiohttp session; ``base`` is the ``.../v3/directline`` URL."""

    def __init__(self, http: aiohttp.ClientSession, base: str, *, timeout: float) -> None:
        self._http = http
        self._base = base.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def _call(
        self,
        method: str,
        path: str,
        bearer: str | None,
        what: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        try:
            async with self._http.request(
                method,
                self._base + path,
                json=body,
                params=params,
                headers=headers,
                timeout=self._timeout,
            ) as response:
                status = response.status
                payload = await response.read()
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DirectLineError(f"Direct Line {what} failed: {describe(exc)}") from exc
        if status == 403:
            raise ExpiredToken(
                f"Direct Line refused {what} with HTTP 403 (token expired or secret wrong):"
                f" {_error_text(payload)}",
                status,
            )
        if not 200 <= status < 300:
            raise DirectLineError(
                f"Direct Line answered HTTP {status} to {what}: {_error_text(payload)}", status
            )
        if not payload.strip():
            return {}
        try:
            return json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DirectLineError(
                f"Direct Line answered {what} with something that is not JSON: {excerpt(payload)}",
                status,
            ) from exc

    @staticmethod
    def _conversation(data: Any, what: str, conversation_id: str = "") -> DirectLineConversation:
        if not isinstance(data, dict):
            raise DirectLineError(f"Direct Line answered {what} with {type(data).__name__}")
        cid = data.get("conversationId") or conversation_id
        token = data.get("token")
        if not isinstance(cid, str) or not cid or not isinstance(token, str) or not token:
            raise DirectLineError(f"Direct Line's answer to {what} has no conversationId/token")
        expires = data.get("expires_in", 1800)
        stream = data.get("streamUrl")
        return DirectLineConversation(
            conversation_id=cid,
            token=token,
            expires_in=float(expires) if isinstance(expires, int | float) else 1800.0,
            stream_url=stream if isinstance(stream, str) and stream else None,
        )

    def _conversation_path(self, conversation_id: str) -> str:
        return "/conversations/" + quote(conversation_id, safe="")

    async def start(self, bearer: str | None) -> DirectLineConversation:
        what = "starting a conversation"
        data = await self._call("POST", "/conversations", bearer, what)
        return self._conversation(data, what)

    async def reconnect(
        self, bearer: str, conversation_id: str, watermark: str | None
    ) -> DirectLineConversation:
        what = "reconnecting to the conversation"
        params = {"watermark": watermark} if watermark else None
        data = await self._call(
            "GET", self._conversation_path(conversation_id), bearer, what, params=params
        )
        return self._conversation(data, what, conversation_id)

    async def refresh(self, token: str, conversation_id: str) -> DirectLineConversation:
        what = "refreshing the token"
        data = await self._call("POST", "/tokens/refresh", token, what)
        return self._conversation(data, what, conversation_id)

    async def post_activity(self, token: str, conversation_id: str, activity: Any) -> str:
        what = "sending an activity"
        path = self._conversation_path(conversation_id) + "/activities"
        data = await self._call("POST", path, token, what, body=activity)
        activity_id = data.get("id") if isinstance(data, dict) else None
        return activity_id if isinstance(activity_id, str) else ""

    async def activities(
        self, token: str, conversation_id: str, watermark: str | None
    ) -> tuple[list[Any], str | None]:
        what = "polling for activities"
        path = self._conversation_path(conversation_id) + "/activities"
        params = {"watermark": watermark} if watermark else None
        data = await self._call("GET", path, token, what, params=params)
        if not isinstance(data, dict) or not isinstance(data.get("activities"), list):
            raise DirectLineError(f"Direct Line's answer to {what} has no activities list")
        mark = data.get("watermark")
        return data["activities"], str(mark) if mark is not None else watermark
