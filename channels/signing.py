"""HMAC-SHA256 request signing shared with bots, with replay protection.

``X-Convsim-Signature: t=<unix seconds>,n=<nonce>,sha256=<hex>`` where the HMAC covers
``"<t>.<n>."`` followed by the raw body bytes exactly as sent, so signer and verifier never
disagree about JSON formatting. The timestamp and nonce make a captured request useless: a
verifier refuses signatures older than :data:`TOLERANCE_SECONDS` and any nonce it has already
accepted in that window (:class:`ReplayGuard`). Verification uses a constant-time compare so
response timing reveals nothing about how much of a forged signature was right.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable

SIGNATURE_HEADER = "X-Convsim-Signature"
TOLERANCE_SECONDS = 300
"""How far a signature's timestamp may be from the verifier's clock (either way)."""

_HEADER = re.compile(r"^t=(\d{1,12}),n=([A-Za-z0-9_-]{8,64}),sha256=([0-9a-f]{64})$")


def _mac(secret: bytes, timestamp: int, nonce: str, body: bytes) -> str:
    signed = f"{timestamp}.{nonce}.".encode("ascii") + body
    return hmac.new(secret, signed, hashlib.sha256).hexdigest()


def sign(
    secret: bytes, body: bytes, *, timestamp: int | None = None, nonce: str | None = None
) -> str:
    """The header value for ``body``, fresh (now, a random nonce) unless told otherwise."""
    stamp = int(time.time()) if timestamp is None else timestamp
    nonce = secrets.token_hex(12) if nonce is None else nonce
    return f"t={stamp},n={nonce},sha256={_mac(secret, stamp, nonce, body)}"


def parse_signature(header: str | None) -> tuple[int, str, str] | None:
    """``(timestamp, nonce, hex digest)``, or None for a missing or malformed header."""
    found = _HEADER.match((header or "").strip())
    if found is None:
        return None
    return int(found.group(1)), found.group(2), found.group(3)


def check(
    secret: bytes,
    body: bytes,
    header: str | None,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE_SECONDS,
) -> str | None:
    """Why ``header`` does not sign ``body`` now (None: it does). Replays are the guard's job."""
    parsed = parse_signature(header)
    if parsed is None:
        return "missing or malformed signature (expected t=...,n=...,sha256=...)"
    stamp, nonce, digest = parsed
    if not hmac.compare_digest(_mac(secret, stamp, nonce, body).encode("ascii"), digest.encode()):
        return "signature does not match the body"
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        return f"signature timestamp is {int(current - stamp)} s off (allowed {int(tolerance)} s)"
    return None


def verify(secret: bytes, body: bytes, header: str | None, *, now: float | None = None) -> bool:
    """Whether ``header`` is a valid, fresh signature of ``body``."""
    return check(secret, body, header, now=now) is None


class ReplayGuard:
    """Remembers the nonces accepted within the tolerance window; a second use is a replay.

    Memory is bounded by the window (older nonces are forgotten: their timestamps are refused
    anyway) and by ``max_nonces``.
    """

    def __init__(
        self,
        *,
        tolerance: float = TOLERANCE_SECONDS,
        max_nonces: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tolerance = tolerance
        self.max_nonces = max_nonces
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._order: collections.deque[tuple[float, str]] = collections.deque()

    def check(self, secret: bytes, body: bytes, header: str | None) -> str | None:
        """Why the request is refused (None: accepted, and its nonce is now used up)."""
        now = self._clock()
        problem = check(secret, body, header, now=now, tolerance=self.tolerance)
        if problem is not None:
            return problem
        parsed = parse_signature(header)
        assert parsed is not None
        nonce = parsed[1]
        self._forget(now)
        if nonce in self._seen:
            return "replayed signature (this nonce was already used)"
        self._seen[nonce] = now
        self._order.append((now, nonce))
        return None

    def _forget(self, now: float) -> None:
        horizon = now - 2 * self.tolerance
        order = self._order
        while order and (order[0][0] < horizon or len(order) >= self.max_nonces):
            _, nonce = order.popleft()
            self._seen.pop(nonce, None)
