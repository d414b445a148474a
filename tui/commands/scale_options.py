"""``--workers N`` and ``--ray [ADDRESS]``, for every command that runs a batch job.

``convsim batch`` adds them with :func:`add_scale_options` and passes
:func:`scale_options` to :class:`~tui.wiring.batch_job.BatchJob`; so can ``convsim test``.
"""

from __future__ import annotations

import argparse
from typing import Any

from tui.numbers import NumberRule, add_number

WORKERS = NumberRule(whole=True, minimum=1, maximum=1024)
RAY_DEFAULT_ADDRESS = ""
"""``--ray`` without an address: ``RAY_ADDRESS``, a cluster on this machine, or a new local one."""


def add_scale_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("scale (more than one core or machine)")
    add_number(
        group,
        "--workers",
        rule=WORKERS,
        metavar="N",
        help="worker processes, each running its share of --concurrency (default: the number "
        "of cores; 1 against a bot with a fixed callback port; 1: all in this process); with "
        "--ray: the number of Ray actors (default: the cluster's CPUs)",
    )
    group.add_argument(
        "--ray",
        nargs="?",
        const=RAY_DEFAULT_ADDRESS,
        metavar="ADDRESS",
        help="run the conversations on a Ray cluster (pip install 'convsim[ray]'): ADDRESS "
        "as ray.init takes it (auto, ray://HEAD:10001); without one, RAY_ADDRESS or a "
        "local cluster. Transcripts still land in --out on this machine",
    )


def scale_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`BatchJob` fields the flags set (none when a command lacks them)."""
    return {"workers": getattr(args, "workers", None), "ray": getattr(args, "ray", None)}
