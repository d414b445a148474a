"""An aiohttp application served on one address: what the demo bot and the callback server share.

aiohttp's own way (``AppRunner`` + a site, stopped with ``runner.cleanup()``), once: listening
either succeeds or leaves nothing running, stopping is safe twice, and ``async with`` does both.
The test bots build on it too, so a fake bot starts and stops the way the real servers do.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, ClassVar, Self

from aiohttp import web


class AppServer:
    """Serves :meth:`make_app` on ``host:port`` (port 0: any free port) from start() to stop()."""

    label: ClassVar[str] = "server"
    """How errors name this server ("the demo bot is not running")."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **runner_options: Any) -> None:
        self.host = host
        self._requested_port = port
        self._runner_options = runner_options
        """Passed to ``web.AppRunner`` (shutdown_timeout, access_log, keepalive_timeout...)."""
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def make_app(self) -> web.Application:
        """The application to serve; built anew by every start()."""
        raise NotImplementedError

    def make_site(self, runner: web.AppRunner, host: str, port: int) -> web.BaseSite:
        """Where the app listens; a subclass may put something between socket and protocol."""
        return web.TCPSite(runner, host, port)

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def port(self) -> int:
        """The port listened on (the free one picked for port 0)."""
        if self._port is None:
            raise RuntimeError(f"the {self.label} is not running; call start() first")
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Listen; raises ``OSError`` when the port is taken (nothing is left running).

        Started again after stop(), it listens on the port it had, as a restarted bot would:
        its clients reconnect to the address they know.
        """
        if self._runner is not None:
            return
        port = self._requested_port if self._port is None else self._port
        runner = web.AppRunner(self.make_app(), **self._runner_options)
        await runner.setup()
        try:
            await self.make_site(runner, self.host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening and run the app's shutdown hooks; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
