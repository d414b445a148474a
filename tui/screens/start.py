"""The start screen (``convsim`` with no arguments): pick a scenario and a mode, or reopen a run.

Left: the built-in demo plus the scenario files of a folder (``examples/scenarios`` unless
another is typed in). Right: the mode and the highlighted scenario's details. Bottom: recent
transcripts from the runs folder, each opened read-only with enter.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, OptionList, RadioButton, RadioSet, Static
from textual.widgets.option_list import Option

from tui.recent import RecentRun, list_recent, runs_root
from tui.screens.help import HelpScreen
from tui.settings import ViewSettings

if TYPE_CHECKING:
    from channels.profile import BotProfile
    from convsim_core.scenario_models import Scenario

MODES = (
    ("watch", "Watch", "both sides simulated, live"),
    ("play", "Play", "you are the agent"),
    ("connect", "Connect", "a real bot (the scenario's, or the demo bot)"),
)
BUILTIN_ID = "builtin:demo"


@attrs.frozen
class ScenarioEntry:
    key: str
    label: str
    scenario: Scenario | None = None
    problem: str = ""


def load_entries(folder: Path) -> list[ScenarioEntry]:
    """The built-in demo, then every scenario file of ``folder`` (broken ones with why)."""
    from convsim_core.scenario import ScenarioError, builtin_scenario, list_scenarios, load_scenario

    entries: list[ScenarioEntry] = []
    try:
        demo = builtin_scenario("demo")
        entries.append(ScenarioEntry(BUILTIN_ID, f"{demo.title} · built-in demo", demo))
    except ScenarioError as exc:
        entries.append(ScenarioEntry(BUILTIN_ID, "demo (built-in)", problem=str(exc)))
    for path in list_scenarios(folder):
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            entries.append(ScenarioEntry(str(path), f"⚠ {path.name}", problem=str(exc)))
            continue
        entries.append(ScenarioEntry(str(path), scenario.title, scenario))
    return entries


def entry_source(entry: ScenarioEntry) -> str:
    """Where a scenario comes from, as the person typed the folder (no machine paths)."""
    return "built-in scenario" if entry.key == BUILTIN_ID else entry.key


class StartScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "start", "Start", show=True, tooltip="Start the highlighted scenario"),
        Binding("w", "start_mode('watch')", "Watch", tooltip="Watch the highlighted scenario"),
        Binding("p", "start_mode('play')", "Play", tooltip="Play the agent yourself"),
        Binding("c", "start_mode('connect')", "Connect", tooltip="Connect to a bot"),
        Binding("o", "open_recent", "Open run", tooltip="Open the highlighted transcript"),
        Binding("slash", "edit_folder", "Folder", tooltip="Type another scenario folder"),
        Binding("b", "edit_bot", "Bot", show=False, tooltip="Type the bot URL (and preset)"),
        Binding("question_mark,f1", "help", "Help", tooltip="Show every key"),
        Binding("escape", "leave_field", "Leave the field", show=False),
    ]
    AUTO_FOCUS = "#scenario-list"

    def __init__(self, folder: Path, *, settings: ViewSettings) -> None:
        super().__init__()
        self.folder = folder
        self.settings = settings
        self.entries: list[ScenarioEntry] = []
        self.recent: list[RecentRun] = []
        self._left_for_a_run = False
        """A run or transcript screen was opened from here (not a dialog over this screen)."""

    def compose(self) -> Iterable[Widget]:
        yield Header(icon="◆")
        with Vertical(id="start-body"):
            with Horizontal(id="start-top"):
                with Vertical(id="scenario-column"):
                    yield Input(str(self.folder), placeholder="scenario folder", id="folder-input")
                    yield OptionList(id="scenario-list")
                with Vertical(id="start-right"):
                    with RadioSet(id="mode-set"):
                        for index, (key, title, what) in enumerate(MODES):
                            yield RadioButton(
                                f"{title}: {what}", value=index == 0, id=f"mode-{key}"
                            )
                    yield Input(
                        placeholder="URL [preset], or empty",
                        id="bot-input",
                    )
                    yield Static(id="scenario-details")
            yield OptionList(id="recent-list")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "convsim"
        self.sub_title = "test chat bots with simulated customers"
        self.query_one("#scenario-list").border_title = "Scenarios"
        self.query_one("#folder-input").border_title = "Folder (/ to edit, enter to load)"
        self.query_one("#mode-set").border_title = "Mode"
        self.query_one("#scenario-details").border_title = "Details"
        self.query_one("#recent-list").border_title = "Recent runs"
        bot_input = self.query_one("#bot-input")
        bot_input.border_title = "Connect to (b)"
        bot_input.tooltip = (
            "The bot Connect talks to: ws://… or http://… and an optional preset name, or"
            " 'demo' / 'demo webhook'. Empty: the scenario's [bot] table, else the demo bot."
        )
        self.reload_scenarios()
        self.reload_recent()

    # -- data -------------------------------------------------------------------------------------

    def reload_scenarios(self) -> None:
        self.entries = load_entries(self.folder)
        scenario_list = self.query_one("#scenario-list", OptionList)
        if self.folder.is_dir():
            scenario_list.border_subtitle = ""
        else:
            # Only the built-in demo is listed: say why rather than look like an empty folder.
            scenario_list.border_subtitle = f"⚠ {self.folder} does not exist"
            self.notify(
                f"The scenario folder {self.folder} does not exist: only the built-in demo"
                " is listed. Press / to type another folder.",
                severity="warning",
                timeout=6,
            )
        options = self.query_one("#scenario-list", OptionList)
        options.clear_options()
        options.add_options(Option(entry.label, id=entry.key) for entry in self.entries)
        if self.entries:
            options.highlighted = 0
        self._show_details(self.entries[0] if self.entries else None)

    def reload_recent(self) -> None:
        self.recent = list_recent(runs_root(self.settings.runs_root))
        options = self.query_one("#recent-list", OptionList)
        options.clear_options()
        if not self.recent:
            options.add_option(Option("No runs yet: start one above.", id="none", disabled=True))
            return
        options.add_options(Option(run.describe(), id=str(run.path)) for run in self.recent)
        options.highlighted = 0

    @property
    def selected_entry(self) -> ScenarioEntry | None:
        options = self.query_one("#scenario-list", OptionList)
        index = options.highlighted
        return self.entries[index] if index is not None and index < len(self.entries) else None

    @property
    def selected_mode(self) -> str:
        pressed = self.query_one(RadioSet).pressed_index
        return MODES[pressed][0] if pressed >= 0 else "watch"

    def _show_details(self, entry: ScenarioEntry | None) -> None:
        details = self.query_one("#scenario-details", Static)
        if entry is None:
            details.update("No scenario files in this folder.")
            return
        if entry.scenario is None:
            details.update(Content.from_markup("[$text-error]$p[/]", p=entry.problem))
            return
        scenario = entry.scenario
        intent = scenario.intent.description if scenario.intent else "(inferred)"
        outcomes = ", ".join(scenario.outcomes.names)
        bot = "its own [bot]" if scenario.bot and "url" in scenario.bot else "the demo bot"
        details.update(
            Content("\n").join(
                [
                    Content.from_markup("[b]$t[/b]", t=scenario.title),
                    Content.from_markup("[$text-muted]$s[/]", s=entry_source(entry)),
                    Content.from_markup(
                        "[$text-muted]$d[/]", d=" ".join(scenario.description.split())
                    ),
                    Content.from_markup("[$text-accent]Intent[/] $i", i=intent),
                    Content.from_markup("[$text-accent]Outcomes[/] $o", o=outcomes),
                    Content.from_markup(
                        "[$text-accent]Runs[/] up to $n messages · seed $s · connect: $b",
                        n=str(scenario.max_messages),
                        s=str(scenario.seed),
                        b=bot,
                    ),
                ]
            )
        )

    # -- events and actions -----------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#scenario-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        index = event.option_index
        self._show_details(self.entries[index] if index < len(self.entries) else None)

    @on(OptionList.OptionSelected, "#scenario-list")
    def _selected(self) -> None:
        self.action_start()

    @on(OptionList.OptionSelected, "#recent-list")
    def _recent_selected(self) -> None:
        self.action_open_recent()

    def action_edit_folder(self) -> None:
        self.query_one("#folder-input", Input).focus()

    def action_edit_bot(self) -> None:
        self.query_one("#bot-input", Input).focus()

    @on(Input.Submitted, "#bot-input")
    def _bot_entered(self) -> None:
        self.action_start_mode("connect")

    @on(Input.Submitted, "#folder-input")
    def _folder(self, event: Input.Submitted) -> None:
        folder = Path(event.value).expanduser()
        if not folder.is_dir():
            self.notify(f"{folder} is not a folder", severity="error")
            return
        self.folder = folder
        self.reload_scenarios()
        self.query_one("#scenario-list").focus()

    def on_screen_resume(self) -> None:
        if not self.is_mounted:
            return
        self.reload_recent()
        if self._left_for_a_run:
            self._left_for_a_run = False
            # Back from a run started from the URL field (enter there is Connect): Textual would
            # give that field the focus again, and `c` would type a letter instead of choosing
            # Connect. The keys of this screen work from the list; a click or tab still types.
            if isinstance(self.focused, Input):
                self.query_one("#scenario-list").focus()

    def action_leave_field(self) -> None:
        """Escape in the folder or URL field: back to the list, where the screen's keys work."""
        if isinstance(self.focused, Input):
            self.query_one("#scenario-list").focus()

    def action_start(self) -> None:
        self.action_start_mode(self.selected_mode)

    def action_start_mode(self, mode: str) -> None:
        entry = self.selected_entry
        if entry is None:
            self.notify("Pick a scenario first.", severity="warning")
            return
        if entry.scenario is None:
            self.notify(entry.problem, title="This scenario cannot run", severity="error")
            return
        app: Any = self.app
        self._left_for_a_run = True
        if mode == "watch":
            app.open_watch(entry.scenario, seed=None)
        elif mode == "play":
            app.open_play(entry.scenario, seed=None)
        else:
            try:
                typed = self.query_one("#bot-input", Input).value
                profile, demo_bot = connect_profile(entry.scenario, typed)
            except Exception as exc:  # a broken [bot] table or URL: say so, stay here
                self._left_for_a_run = False
                self.notify(str(exc), title="Cannot connect", severity="error")
                return
            app.open_connect(entry.scenario, profile, seed=None, demo_bot=demo_bot)

    def action_open_recent(self) -> None:
        options = self.query_one("#recent-list", OptionList)
        index = options.highlighted
        if index is None or not self.recent or index >= len(self.recent):
            self.app.bell()
            return
        app: Any = self.app
        self._left_for_a_run = True
        app.open_transcript(self.recent[index].path)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    def commands(self) -> list[tuple[str, str, Any]]:
        return [
            (
                "Watch scenario",
                "Watch the highlighted scenario",
                lambda: self.action_start_mode("watch"),
            ),
            (
                "Play scenario",
                "Be the agent in the highlighted scenario",
                lambda: self.action_start_mode("play"),
            ),
            (
                "Connect scenario",
                "Let the scenario's customer chat with a bot",
                lambda: self.action_start_mode("connect"),
            ),
            (
                "Open recent run",
                "Open the highlighted transcript read-only",
                self.action_open_recent,
            ),
            ("Reload", "Read the scenario folder and runs folder again", self._reload_all),
            ("Help", "Show every key of this screen", self.action_help),
        ]

    def _reload_all(self) -> None:
        self.reload_scenarios()
        self.reload_recent()


def connect_profile(scenario: Scenario, typed: str = "") -> tuple[BotProfile, bool]:
    """The bot typed on the start screen (``URL [preset]``, or ``demo``/``demo webhook``), else
    the scenario's own bot when its ``[bot]`` table names a URL, else the demo bot."""
    from channels.profile import profile_for_url
    from tui.wiring.bots import demo_bot_profile, scenario_bot_or_demo

    words = typed.split()
    if words and words[0] == "demo":
        return demo_bot_profile(webhook=words[1:2] == ["webhook"]), True
    if words:
        url, preset = words[0], (words[1] if len(words) > 1 else None)
        kind = "ws" if url.startswith(("ws://", "wss://")) else "webhook"
        return profile_for_url(url, kind=kind, preset=preset, base=scenario.bot), False
    return scenario_bot_or_demo(scenario)
