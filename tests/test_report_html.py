"""The HTML report in a real browser: charts render, every transcript link resolves, no errors.

Drives headless Chromium over the DevTools protocol (a websocket). Skipped only when Chromium
is not installed (CI installs Debian's ``chromium`` package).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import websockets

from convsim_core.batch import BatchPlan, BatchSession, PlannedRun, ScenarioEntry
from convsim_core.persistence import TranscriptSink
from tests.support.timeouts import MS, TIMEOUT
from tui.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)


class DevTools:
    """The smallest useful DevTools client: commands, one page session, collected events."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.event_arrived = asyncio.Event()
        self.session: str | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.socket:
            data = json.loads(raw)
            if "id" in data:
                future = self.pending.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
            else:
                self.events.append(data)
                self.event_arrived.set()

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self.ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if self.session is not None and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        await self.socket.send(json.dumps(message))
        async with asyncio.timeout(TIMEOUT * 4):
            reply = await future
        assert "error" not in reply, reply
        return dict(reply.get("result", {}))

    async def open_page(self) -> None:
        target = await self.send("Target.createTarget", url="about:blank")
        attached = await self.send(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            await self.send(f"{domain}.enable")

    async def navigate(self, url: str) -> None:
        start = len(self.events)
        await self.send("Page.navigate", url=url)
        async with asyncio.timeout(TIMEOUT * 4):
            while not any(e.get("method") == "Page.loadEventFired" for e in self.events[start:]):
                self.event_arrived.clear()
                await self.event_arrived.wait()

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def errors(self) -> list[str]:
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params.get("exceptionDetails", {}))[:300])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(json.dumps(params.get("args", []))[:300])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(params["entry"].get("text", "")[:300])
        return found


@contextlib.asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[DevTools]:
    assert CHROMIUM is not None
    process = await asyncio.create_subprocess_exec(
        *[
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        async with asyncio.timeout(TIMEOUT * 6):
            while not port_file.is_file() or len(port_file.read_text().splitlines()) < 2:
                assert process.returncode is None, "chromium exited at start"
                await asyncio.sleep(50 * MS)
        port, path = port_file.read_text().splitlines()[:2]
        async with websockets.connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as socket:
            tools = DevTools(socket)
            await tools.open_page()
            try:
                yield tools
            finally:
                tools.reader.cancel()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        socket.send(json.dumps({"id": 0, "method": "Browser.close"})), 2000 * MS
                    )
    finally:
        try:
            await asyncio.wait_for(process.wait(), 10_000 * MS)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _demo_batch(folder: Path, seed: int, *, broken_run: int | None = None) -> None:
    from convsim_core.builder import build_full_runner
    from convsim_core.scenario import builtin_scenario

    scenario = builtin_scenario("demo")

    def factory(sc: Any, run: PlannedRun, transcript: TranscriptSink) -> Any:
        if run.run_index == broken_run:
            raise RuntimeError("the bot's profile is broken")
        return build_full_runner(sc, seed=run.seed, transcript=transcript, use_llm=False)

    plan = BatchPlan((ScenarioEntry("demo", "builtin:demo", seed),), runs=5)
    await BatchSession(plan, {"demo": scenario}, factory, folder=folder, concurrency=3).run()


def _file_path(url: str) -> Path:
    parts = urlsplit(url)
    assert parts.scheme == "file", url
    return Path(unquote(parts.path))


async def test_html_report_renders_charts_links_and_no_console_errors(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    await _demo_batch(old, seed=1)
    await _demo_batch(new, seed=2, broken_run=3)
    report = tmp_path / "report" / "index.html"
    # main() runs the command synchronously; keep the event loop free while it writes.
    code = await asyncio.to_thread(main, ["report", str(old), str(new), "--html", str(report)])
    assert code == 0 and report.is_file()
    html = report.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html  # self-contained
    assert "<script src" not in html and '<link rel="stylesheet"' not in html

    async with chromium(tmp_path / "chromium-profile") as browser:
        await browser.navigate(report.as_uri())
        charts = await browser.evaluate(
            "Array.from(document.querySelectorAll('svg.chart')).map(s => {"
            " const r = s.getBoundingClientRect(); return [r.width, r.height]; })"
        )
        assert len(charts) == 2  # the demo scenario in the old and in the new batch
        assert all(w > 100 and h > 10 for w, h in charts), charts
        bars = await browser.evaluate(
            "Array.from(document.querySelectorAll('svg.chart rect.bar'))"
            ".map(r => r.getBoundingClientRect().width).filter(w => w > 0).length"
        )
        assert bars >= 3  # resolved in both batches, plus the new batch's error bar
        flagged = await browser.evaluate("document.querySelectorAll('#comparison tr').length")
        assert flagged >= 2
        links = await browser.evaluate(
            "Array.from(document.querySelectorAll('a.transcript')).map(a => a.href)"
        )
        assert len(links) == 10
        # The filter box works (and its script ran without errors).
        visible = await browser.evaluate(
            "(() => { const box = document.getElementById('filter'); box.value = 'demo-0003';"
            " box.dispatchEvent(new Event('input'));"
            " return Array.from(document.querySelectorAll('tr.conv'))"
            ".filter(r => r.style.display !== 'none').length; })()"
        )
        assert visible == 2
        for link in links:
            assert _file_path(link).is_file(), link
            await browser.navigate(link)
            run_id = _file_path(link).stem
            heading = await browser.evaluate("document.querySelector('h1').textContent")
            assert heading == run_id
            bubbles = await browser.evaluate("document.querySelectorAll('.bubble').length")
            if run_id == "demo-0003" and "/new/" in link:
                assert bubbles == 0  # the conversation that could not run
                text = await browser.evaluate("document.body.textContent")
                assert "the bot's profile is broken" in text
            else:
                assert bubbles >= 4
            back = await browser.evaluate("document.querySelector('a.back').href")
            assert _file_path(back) == report
        assert browser.errors() == []
