"""One time unit for every delay and timeout in the tests, scaled by one environment factor.

As websockets' ``tests/utils.py`` does with ``MS``: every sleep, settle time, backoff and
timeout in a test is a multiple of :data:`MS`, so ``CONVSIM_TEST_TIME_FACTOR=3 pytest`` slows
the whole suite evenly on a loaded machine (nothing flakes because one bound was raised and the
delay it races was not), and ``CONVSIM_TEST_TIME_FACTOR=0.5`` squeezes it to look for races.
Plain numbers are left only where time is fake (tests/test_turns.py) or a value is the subject
of the test (a validation error, a parsed setting).

``CONVSIM_TEST_TIMEOUT`` still sets the seconds a test may wait for something that should
happen promptly (before the factor).
"""

from __future__ import annotations

import os

FACTOR = float(os.environ.get("CONVSIM_TEST_TIME_FACTOR", "1"))
"""Multiplies every delay and timeout in the tests."""

MS = 0.001 * FACTOR
"""The tests' time unit: a millisecond, times :data:`FACTOR`."""

TIMEOUT = float(os.environ.get("CONVSIM_TEST_TIMEOUT", "5")) * FACTOR
"""Seconds a test may wait for something that should happen promptly."""
