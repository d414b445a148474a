"""What a person can do with a saved transcript in the viewer: branch after the selected
message, save it as a scenario, review its outcome.

Kept apart from the viewer's layout (``transcript_screen.py``) so each stays small.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.screens.branch_dialog import BranchChoice, BranchDialog
from tui.widgets.selectable_transcript import SelectableTranscript

if TYPE_CHECKING:
    from convsim_core.branching import Branch
    from convsim_core.persistence import Transcript
    from convsim_core.scenario_models import Scenario
    from tui.settings import ViewSettings


class ViewerParts:
    """What the viewer's action mixins read from the screen they are mixed into."""

    path: Path
    transcript: Transcript | None
    settings: ViewSettings

    if TYPE_CHECKING:

        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def notify(self, message: str, **kwargs: Any) -> None: ...

    @property
    def _app(self) -> Any:
        return self.query_one(SelectableTranscript).app


class TranscriptActions(ViewerParts):
    """Branch and save as a scenario, mixed into the transcript viewer."""

    def branch_point(self) -> int:
        """The number (1-based) a branch goes on after: the selected message.

        With nothing selected yet, the last message on screen is selected first, so the
        highlight always shows which message the dialog is about.
        """
        view: SelectableTranscript = self.query_one(SelectableTranscript)
        if view.selected is None:
            shown = view.on_screen()
            view.select(shown[-1] if shown else view.message_count - 1, scroll=False)
        assert view.selected is not None
        return view.selected + 1

    def action_branch(self) -> None:
        transcript = self.transcript
        if transcript is None or not transcript.messages:
            self.notify("Nothing to branch from.", severity="warning")
            return
        dialog = BranchDialog(len(transcript.messages), self.branch_point(), source=self.path)
        self._app.push_screen(dialog, self._branch_chosen)

    def action_save_scenario(self) -> None:
        """Write a scenario whose scripted customer says what this session's customer said."""
        if self.transcript is None or not self.transcript.messages:
            self.notify("Nothing to save as a scenario.", severity="warning")
            return
        from tui.screens.dialogs import SaveDialog
        from tui.wiring.scenario_export import default_out

        dialog = SaveDialog(
            default_out(self.path),
            title="Save as a scenario",
            label="Scenario file (.toml): the customer is scripted, the outcome expected:",
        )
        self._app.push_screen(dialog, self._save_scenario_to)

    def _save_scenario_to(self, out: Path | None) -> None:
        if out is None:
            return
        from tui.wiring.errors import UserError
        from tui.wiring.scenario_export import check_command, save_scenario

        try:
            path, expect_table = save_scenario(self.path, out)
        except UserError as exc:
            self.notify(str(exc), title="Cannot save the scenario", severity="error")
            return
        how = "" if expect_table else " (expectation as a comment)"
        self.notify(
            f"Saved {path}{how}. Check it with: {check_command(path)}",
            title="Scenario saved",
            timeout=8,
        )

    def _branch_chosen(self, choice: BranchChoice | None) -> None:
        if choice is None:
            return
        from convsim_core.branching import BranchError, load_branch
        from tui.wiring.errors import UserError
        from tui.wiring.scenarios import resolve_scenario

        try:
            branch = load_branch(self.path, choice.at)
            name = branch.scenario_ref
            if name is None:
                raise BranchError("the transcript does not say which scenario it ran")
            scenario = resolve_scenario(name)
            screen = self._run_screen(choice.mode, scenario, branch)
        except (BranchError, UserError) as exc:
            self.notify(str(exc), title="Cannot branch", severity="error")
            return
        self._app.push_screen(screen)

    def _run_screen(self, mode: str, scenario: Scenario, branch: Branch) -> Any:
        """The live screen of the branch, built as ``--from --at`` builds it (any app)."""
        from tui.screens.open_run import connect_screen, play_screen, watch_screen

        settings, seed = self.settings, branch.seed
        if mode == "play":
            return play_screen(scenario, seed=seed, settings=settings, branch=branch)
        if mode == "connect":
            from tui.wiring.bots import recorded_bot, scenario_bot_or_demo

            # The bot the session was held with, as `connect --from` and replay pick it.
            recorded = recorded_bot(branch.parent_header, scenario)
            profile, demo_bot = recorded or scenario_bot_or_demo(scenario)
            return connect_screen(
                scenario, profile, seed=seed, demo_bot=demo_bot, settings=settings, branch=branch
            )
        return watch_screen(scenario, seed=seed, settings=settings, branch=branch)


class ReviewActions(ViewerParts):
    """Confirm or override a saved conversation's outcome; labels go to the folder's labels.csv."""

    def show_existing_label(self) -> None:
        from convsim_core.labels import read_labels
        from tui.widgets.outcome_panel import OutcomePanel

        label = read_labels(self.path.parent).get(self.path.stem)
        if label is not None:
            self.query_one(OutcomePanel).set_override(label.outcome)

    def action_review(self) -> None:
        from tui.screens.dialogs import OutcomeDialog
        from tui.widgets.outcome_panel import OutcomePanel

        transcript = self.transcript
        if transcript is None:
            self.notify("Nothing to review.", severity="warning")
            return
        panel = self.query_one(OutcomePanel)
        judgement = transcript.result.judgement if transcript.result else None
        dialog = OutcomeDialog(panel.outcomes, judgement)
        self._app.push_screen(dialog, self._reviewed)

    def _reviewed(self, choice: str | None) -> None:
        from convsim_core.labels import append_label, labels_path
        from tui.screens.dialogs import NO_OUTCOME
        from tui.widgets.outcome_panel import OutcomePanel

        if choice is None:
            return
        outcome = None if choice == NO_OUTCOME else choice
        try:
            label = append_label(self.path.parent, self.path.stem, outcome)
        except OSError as exc:
            self.notify(f"Could not save the label: {exc}", severity="error")
            return
        self.query_one(OutcomePanel).set_override(label.outcome)
        self.notify(
            f"{self.path.stem}: {label.outcome} in {labels_path(self.path.parent)}",
            title="Label saved",
            timeout=4,
        )
