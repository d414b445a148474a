"""Batch runs: many conversations per scenario, on one event loop, recorded to a folder.

Pure core: no network or UI imports. The ``convsim batch`` / ``convsim report`` commands and
the TUI dashboard are thin layers over :class:`BatchSession`, :func:`collect`/:func:`summarize`,
:func:`compare` and :func:`write_html_report`.
"""

from typing import TYPE_CHECKING, Any

from convsim_core.batch.compare import Comparison, RateChange, compare, format_comparison
from convsim_core.batch.executor import NO_OUTCOME, BatchExecutor, BatchListener, RunnerFactory
from convsim_core.batch.folder import TranscriptState, prepare_resume, transcript_state
from convsim_core.batch.limits import RateLimits
from convsim_core.batch.manifest import (
    BatchFolderError,
    BatchManifest,
    load_run_spec,
    read_manifest,
    split_run_path,
)
from convsim_core.batch.plan import (
    BatchPlan,
    PlannedRun,
    ScenarioEntry,
    ShardSpec,
    derive_seed,
    unique_keys,
)
from convsim_core.batch.records import BatchRecords, ConversationRecord, collect
from convsim_core.batch.session import BatchSession
from convsim_core.batch.status import BatchCounts, RunState, RunStatus
from convsim_core.batch.summary import (
    BatchSummary,
    ScenarioSummary,
    format_table,
    summarize,
    summarize_folder,
    write_summary,
)

_LAZY = {
    "BatchRateLimiter",
    "RateLimits",
    "rate_limit_scope",
}


def __getattr__(name: str) -> Any:
    # The rate limiter pulls in LangChain (~0.4 s): load it only when a batch uses it.
    if name in _LAZY:
        from convsim_core.batch import ratelimit

        return getattr(ratelimit, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from convsim_core.batch.ratelimit import (
        BatchRateLimiter,
        rate_limit_scope,
    )

__all__ = [
    "NO_OUTCOME",
    "BatchCounts",
    "BatchExecutor",
    "BatchFolderError",
    "BatchListener",
    "BatchManifest",
    "BatchPlan",
    "BatchRateLimiter",
    "BatchRecords",
    "BatchSession",
    "BatchSummary",
    "Comparison",
    "ConversationRecord",
    "PlannedRun",
    "RateChange",
    "RateLimits",
    "RunState",
    "RunStatus",
    "RunnerFactory",
    "ScenarioEntry",
    "ScenarioSummary",
    "ShardSpec",
    "TranscriptState",
    "collect",
    "compare",
    "derive_seed",
    "format_comparison",
    "format_table",
    "load_run_spec",
    "prepare_resume",
    "rate_limit_scope",
    "read_manifest",
    "split_run_path",
    "summarize",
    "summarize_folder",
    "transcript_state",
    "unique_keys",
    "write_summary",
]
