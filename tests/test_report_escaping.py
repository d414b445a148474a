"""Bot text in the HTML report is text: a ``<script>`` in a reply is shown, never run.

The report is opened from CI artifacts and mailed around, and a bot under test says whatever
it says; without escaping, one reply could run script in the reader's browser. Checked on
the page's source always, and in headless Chromium when it is installed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import attrs
import pytest

from convsim_core.batch import BatchPlan, BatchSession, PlannedRun, ScenarioEntry
from convsim_core.persistence import TranscriptSink
from tests.test_report_html import CHROMIUM, chromium
from tui.cli import main

HOSTILE = (
    "<script>window.__pwned = 'script'</script>"
    '<img src="x" onerror="window.__pwned = \'img\'">'
    "</div><b>bold?</b> & done"
)
TITLE = "Refund <script>window.__pwned = 'title'</script>"


async def _hostile_batch(folder: Path) -> None:
    from convsim_core.builder import build_full_runner
    from convsim_core.scenario import builtin_scenario

    demo = builtin_scenario("demo")
    scenario = attrs.evolve(
        demo,
        title=TITLE,
        agent=attrs.evolve(demo.agent, kind="scripted", turns=(HOSTILE, "Goodbye!")),
    )

    def factory(sc: Any, run: PlannedRun, transcript: TranscriptSink) -> Any:
        return build_full_runner(sc, seed=run.seed, transcript=transcript, use_llm=False)

    plan = BatchPlan((ScenarioEntry("demo", "builtin:demo", 3, title=TITLE),), runs=1)
    await BatchSession(plan, {"demo": scenario}, factory, folder=folder, concurrency=1).run()


async def _report(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "batch"
    await _hostile_batch(folder)
    report = tmp_path / "report" / "index.html"
    code = await asyncio.to_thread(main, ["report", str(folder), "--html", str(report)])
    assert code == 0
    pages = sorted((tmp_path / "report").rglob("demo-0000.html"))
    assert len(pages) == 1, pages
    return report, pages[0]


async def test_bot_text_and_titles_are_escaped_in_the_page_source(tmp_path: Path) -> None:
    report, page = await _report(tmp_path)
    chat = page.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned = &#x27;script&#x27;&lt;/script&gt;" in chat
    assert "&lt;img src=&quot;x&quot; onerror=" in chat
    assert "&lt;/div&gt;&lt;b&gt;bold?&lt;/b&gt; &amp; done" in chat
    for source in (chat, report.read_text(encoding="utf-8")):
        assert "__pwned = 'script'" not in source
        assert "<img" not in source and "<b>" not in source
        assert "<script>window" not in source


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
async def test_bot_text_renders_as_text_in_a_browser(tmp_path: Path) -> None:
    report, page = await _report(tmp_path)
    async with chromium(tmp_path / "chromium-profile") as browser:
        for url in (page.as_uri(), report.as_uri()):
            await browser.navigate(url)
            assert await browser.evaluate("typeof window.__pwned") == "undefined"
            injected = await browser.evaluate(
                "document.querySelectorAll('main script, main img, main b').length"
            )
            assert injected == 0
        await browser.navigate(page.as_uri())
        texts = await browser.evaluate(
            "Array.from(document.querySelectorAll('.bubble.agent'))"
            ".map(b => b.lastChild.textContent)"
        )
        assert HOSTILE in texts  # shown exactly as the bot wrote it
        assert await browser.evaluate("document.querySelectorAll('.bubble').length") >= 3
        assert browser.errors() == []
