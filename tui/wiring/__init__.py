"""The one headless path from "scenario + bot" to a running conversation, shared by every mode.

The CLI commands (connect, play, watch, batch), the TUI's run sources and the start screen all
build their runs here, so a fix to "start the demo bot, check the bot, open the channel, write
the transcript" is made once. Nothing here imports Textual (an import-linter contract and
``tests/test_headless_imports.py`` keep it so): the headless commands run where no terminal UI
can, and the UI is a thin layer on top.

- :mod:`tui.wiring.errors` -- :class:`UserError`, the one-line, exit-code-2 failure.
- :mod:`tui.wiring.scenarios` -- scenario arguments (files, folders, built-in names) and the
  ``--llm`` / ``--offline`` / ``--max-messages`` overrides.
- :mod:`tui.wiring.bots` -- bot profiles from options, the demo bot, :class:`BotTarget`.
- :mod:`tui.wiring.runs` -- :func:`open_bot_run`: demo bot -> check -> channel -> runner ->
  transcript, released in reverse order.
- :mod:`tui.wiring.batch_job` -- :class:`BatchJob`, what ``convsim batch`` runs.
"""

from tui.wiring.errors import UserError

__all__ = ["UserError"]
