"""One timeout for every test that waits on a socket or a task; slow machines raise it.

``CONVSIM_TEST_TIMEOUT=20 pytest`` scales every wait at once instead of editing tests.
"""

from __future__ import annotations

import os

TIMEOUT = float(os.environ.get("CONVSIM_TEST_TIMEOUT", "5"))
"""Seconds a test may wait for something that should happen promptly."""
