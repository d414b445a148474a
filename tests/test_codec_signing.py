"""HMAC-SHA256 signatures as the demo bot and convsim both use them."""

from __future__ import annotations

import hashlib
import hmac

from channels.signing import sign, verify

SECRET = b"s3cret"
BODY = b'{"session_id": "s", "text": "hi"}'


def test_signature_is_hex_hmac_sha256_of_timestamp_nonce_and_the_raw_body() -> None:
    # Issue 16: the signature carries a timestamp and a nonce so it cannot be replayed.
    expected = hmac.new(SECRET, b"1700000000.abcdef012345." + BODY, hashlib.sha256).hexdigest()
    header = sign(SECRET, BODY, timestamp=1700000000, nonce="abcdef012345")
    assert header == f"t=1700000000,n=abcdef012345,sha256={expected}"


def test_verify_accepts_only_the_right_signature() -> None:
    good = sign(SECRET, BODY)
    assert verify(SECRET, BODY, good)
    assert verify(SECRET, BODY, f" {good} ")  # stray header whitespace
    assert not verify(b"other", BODY, good)
    assert not verify(SECRET, BODY + b" ", good)
    assert not verify(SECRET, BODY, None)
    assert not verify(SECRET, BODY, "")
    assert not verify(SECRET, BODY, good.replace(",sha256=", ","))
    assert not verify(SECRET, BODY, good.replace("sha256=", "sha1="))
    assert not verify(SECRET, BODY, "sha256=" + good.rsplit("sha256=", 1)[1])  # the old format
    assert not verify(SECRET, BODY, "sha256=zz\u00e9")
