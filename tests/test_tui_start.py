"""The start screen, recent runs, the read-only viewer, saving helpers and the entry points."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from convsim_core.models import ParticipantRole, TerminationReason
from convsim_core.persistence import read_transcript, rewrite_result
from convsim_core.scenario import builtin_scenario
from tests.support.timeouts import TIMEOUT
from tui import app as app_module
from tui.app import ConvsimApp
from tui.cli import build_parser
from tui.commands.start import run_start_screen
from tui.export import apply_outcome_choice
from tui.recent import list_recent
from tui.screens.run_screens import ConnectScreen, PlayScreen, WatchScreen
from tui.screens.start import StartScreen
from tui.screens.transcript_screen import TranscriptScreen
from tui.testing import snapshot_settings, wait_until
from tui.widgets.live_run import LiveRun
from tui.widgets.transcript import TranscriptView

EXAMPLES = Path(__file__).parent.parent / "examples" / "scenarios"


def test_entry_points_have_the_contract_signatures() -> None:
    def keyword_only(function: object) -> dict[str, object]:
        parameters = inspect.signature(function).parameters.values()  # type: ignore[arg-type]
        return {p.name: p.default for p in parameters if p.kind is p.KEYWORD_ONLY}

    assert next(iter(inspect.signature(app_module.run_watch_app).parameters)) == "scenario"
    assert keyword_only(app_module.run_watch_app) == {
        "seed": inspect._empty,
        "mode": "watch",
        "speed": None,  # additive: --speed paces the terminal UI too
        "branch": None,  # additive: --from TRANSCRIPT --at N
    }
    assert keyword_only(app_module.run_play_app) == {"seed": inspect._empty, "branch": None}
    assert keyword_only(app_module.run_connect_app) == {
        "seed": inspect._empty,
        "demo_bot": inspect._empty,
        "branch": None,
    }
    assert list(inspect.signature(run_start_screen).parameters) == ["args"]


def test_play_is_a_cli_command() -> None:
    args = build_parser().parse_args(["play", "demo", "--seed", "3"])
    assert args.command == "play" and args.scenario == "demo" and args.seed == 3
    assert callable(args.handler)


async def test_pick_a_scenario_and_watch_it_then_go_back(tmp_path: Path) -> None:
    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    app = ConvsimApp(lambda app: StartScreen(EXAMPLES, settings=settings), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        start = app.screen
        assert isinstance(start, StartScreen)
        assert start.entries[0].scenario is not None  # the built-in demo comes first
        assert len(start.entries) == 1 + len(list(EXAMPLES.glob("*.toml")))
        await pilot.press("down")
        chosen = start.selected_entry
        assert chosen is not None and chosen.scenario is not None
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, WatchScreen))
        assert chosen.scenario.title in str(app.screen.sub_title)
        live = app.screen.query_one(LiveRun)
        await wait_until(pilot, lambda: live.transcript.message_count >= 1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, StartScreen))


@pytest.mark.parametrize(("key", "screen"), [("p", PlayScreen), ("c", ConnectScreen)])
async def test_mode_keys_open_play_and_connect(key: str, screen: type, tmp_path: Path) -> None:
    settings = snapshot_settings(runs_root=tmp_path)  # no autostart: nothing to connect to
    app = ConvsimApp(lambda app: StartScreen(EXAMPLES, settings=settings), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press(key)
        await wait_until(pilot, lambda: isinstance(app.screen, screen))
        assert app.screen.query_one(LiveRun).status == "idle"


async def test_recent_runs_open_read_only(tmp_path: Path) -> None:
    settings = snapshot_settings(autostart=True, runs_root=tmp_path)
    app = ConvsimApp(lambda app: StartScreen(EXAMPLES, settings=settings), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("w")  # watch the built-in demo: it writes a transcript
        await wait_until(pilot, lambda: isinstance(app.screen, WatchScreen))
        live = app.screen.query_one(LiveRun)
        await pilot.press("f")  # as fast as possible
        await wait_until(pilot, lambda: live.status == "done", within=TIMEOUT * 6)
        count = live.transcript.message_count
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, StartScreen))
        start = app.screen
        assert isinstance(start, StartScreen)
        await wait_until(pilot, lambda: len(start.recent) == 1)
        assert "resolved" in start.recent[0].describe()
        start.query_one("#recent-list").focus()
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, TranscriptScreen))
        view = app.screen.query_one(TranscriptView)
        await wait_until(pilot, lambda: view.message_count == count)
        assert not view.follow
        details = str(app.screen.query_one("#run-details").render())
        assert "closing phrase" in details
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, StartScreen))


def test_list_recent_reads_headers_and_results(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        '{"schema_version":1,"type":"header","scenario":"demo","seed":4,'
        '"started_at":"2025-03-04T09:30:00+00:00"}\n'
        '{"schema_version":1,"type":"message","content":"hi"}\n'
    )
    (folder / "broken.jsonl").write_bytes(b"\xff\xfe")
    runs = {run.path.name: run for run in list_recent(tmp_path)}
    assert runs["a.jsonl"].seed == 4 and runs["a.jsonl"].messages == 1
    assert "partial" in runs["a.jsonl"].describe()
    assert runs["broken.jsonl"].error is not None
    assert list_recent(tmp_path / "missing") == []


async def test_outcome_override_rewrites_only_the_result_line(tmp_path: Path) -> None:
    from convsim_core.builder import build_full_runner
    from convsim_core.persistence import TranscriptWriter

    scenario = builtin_scenario("demo")
    path = tmp_path / "run.jsonl"
    result = await build_full_runner(scenario, transcript=TranscriptWriter(path)).run()
    before = path.read_text().splitlines()
    assert result.conversation.outcome is not None
    assert result.conversation.outcome.name == "resolved"

    same = apply_outcome_choice(result, "resolved", scenario.outcomes)
    assert same is result  # a confirmation is not an override
    changed = apply_outcome_choice(result, "escalated", scenario.outcomes)
    assert changed.outcome_overridden_by == "person"
    rewrite_result(path, changed)
    after = path.read_text().splitlines()
    assert after[:-1] == before[:-1]
    assert json.loads(after[-1])["outcome_overridden_by"] == "person"
    again = read_transcript(path)
    assert again.result is not None and again.result.conversation.outcome is not None
    assert again.result.conversation.outcome.name == "escalated"
    assert again.result.termination_reason is TerminationReason.CLOSING_PHRASE
    assert again.messages[0].sender is ParticipantRole.CUSTOMER
    with pytest.raises(ValueError, match="not one of"):
        apply_outcome_choice(result, "made_up", scenario.outcomes)
    none = apply_outcome_choice(result, None, scenario.outcomes)
    assert none.conversation.outcome is None and none.outcome_overridden_by == "person"


async def test_back_from_a_run_started_in_the_url_field_the_keys_work_again(
    tmp_path: Path,
) -> None:
    # Issue 13 review: enter in the URL field opens Connect; escape came back with the focus in
    # that field, so `c` typed a letter instead of choosing Connect.
    from textual.widgets import Input

    def focused_id(app: ConvsimApp) -> str | None:
        return app.focused.id if app.focused is not None else None

    settings = snapshot_settings(runs_root=tmp_path)  # no autostart: nothing to connect to
    app = ConvsimApp(lambda app: StartScreen(EXAMPLES, settings=settings), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        start = app.screen
        url = start.query_one("#bot-input", Input)
        await pilot.press("b")
        assert focused_id(app) == "bot-input"
        await pilot.press(*"demo", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConnectScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is start)
        await pilot.pause()
        assert focused_id(app) == "scenario-list"
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConnectScreen))
        assert url.value == "demo"  # nothing typed into the field
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is start)
        # The field still takes typing when the person goes into it (a click, or tab).
        await pilot.click("#bot-input")
        assert focused_id(app) == "bot-input"
        await pilot.press("end", *" webhook")
        assert url.value == "demo webhook"
        # Help over the screen is no run: the field keeps the focus after it.
        await pilot.press("f1")
        await wait_until(pilot, lambda: app.screen is not start)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is start)
        await pilot.pause()
        assert focused_id(app) == "bot-input"
        # Escape leaves a field for the list, where w/p/c choose a mode again.
        await pilot.press("escape")
        assert focused_id(app) == "scenario-list"
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, WatchScreen))
