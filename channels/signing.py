"""HMAC-SHA256 request signing shared with bots: ``X-Convsim-Signature: sha256=<hex>``.

The signature covers the raw body bytes exactly as sent, so signer and verifier never disagree
about JSON formatting. Verification uses a constant-time compare so response timing reveals
nothing about how much of a forged signature was right.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Convsim-Signature"
_PREFIX = "sha256="


def sign(secret: bytes, body: bytes) -> str:
    """The header value for ``body``."""
    return _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is a valid signature of ``body``; a missing or odd header is invalid."""
    header = (header or "").strip()
    if not header.startswith(_PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body).encode("ascii"), header.encode("utf-8"))
