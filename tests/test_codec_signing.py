"""HMAC-SHA256 signatures as the demo bot and convsim both use them."""

from __future__ import annotations

import hashlib
import hmac

from channels.signing import sign, verify

SECRET = b"s3cret"
BODY = b'{"session_id": "s", "text": "hi"}'


def test_signature_is_hex_hmac_sha256_of_the_raw_body() -> None:
    expected = hmac.new(SECRET, BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY) == f"sha256={expected}"


def test_verify_accepts_only_the_right_signature() -> None:
    good = sign(SECRET, BODY)
    assert verify(SECRET, BODY, good)
    assert verify(SECRET, BODY, f" {good} ")  # stray header whitespace
    assert not verify(b"other", BODY, good)
    assert not verify(SECRET, BODY + b" ", good)
    assert not verify(SECRET, BODY, None)
    assert not verify(SECRET, BODY, "")
    assert not verify(SECRET, BODY, good.removeprefix("sha256="))
    assert not verify(SECRET, BODY, "sha1=" + good.removeprefix("sha256="))
    assert not verify(SECRET, BODY, "sha256=zz\u00e9")
