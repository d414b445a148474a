"""Direct Line 3.0's REST and stream routes, written once for every server that plays the service.

The demo bot's Direct Line front and the test suite's fake Direct Line service implement the
same API (:mod:`channels.directline_api` is its client); each implements the handlers of
:class:`DirectLineService`, and :func:`add_directline_routes` puts them at the paths Azure Bot
Service uses. ``{cid}`` in a path is the conversation id.
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

BASE = "/v3/directline"
"""Where the API lives on a server's origin."""


class DirectLineService(Protocol):
    """The handlers, in the order :func:`add_directline_routes` lists their routes."""

    async def start_conversation(self, request: web.Request) -> web.Response: ...
    async def reconnect(self, request: web.Request) -> web.Response: ...
    async def refresh_token(self, request: web.Request) -> web.Response: ...
    async def generate_token(self, request: web.Request) -> web.Response: ...
    async def post_activity(self, request: web.Request) -> web.Response: ...
    async def get_activities(self, request: web.Request) -> web.Response: ...
    async def stream(self, request: web.Request) -> web.StreamResponse: ...


def add_directline_routes(app: web.Application, service: DirectLineService) -> None:
    router = app.router
    # 201 {conversationId, token, expires_in, streamUrl}; with a token: that one conversation
    router.add_post(BASE + "/conversations", service.start_conversation)
    # ?watermark=W: a fresh token and stream URL that resumes after W
    router.add_get(BASE + "/conversations/{cid}", service.reconnect)
    router.add_post(BASE + "/tokens/refresh", service.refresh_token)
    # with the secret: a token for one conversation not started yet
    router.add_post(BASE + "/tokens/generate", service.generate_token)
    router.add_post(BASE + "/conversations/{cid}/activities", service.post_activity)  # -> {id}
    # ?watermark=W: {activities, watermark}
    router.add_get(BASE + "/conversations/{cid}/activities", service.get_activities)
    # activity sets and empty keep-alive frames
    router.add_get(BASE + "/conversations/{cid}/stream", service.stream)
