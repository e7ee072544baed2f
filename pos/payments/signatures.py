"""Webhook signatures in Stripe's scheme: ``t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>``.

A header may carry several ``v1`` values and the receiver may hold several secrets, so a
secret can be rotated without losing a delivery. The timestamp must be within the tolerance
in both directions: a stale header is a replay, one from the future a forged clock.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Sequence

DEFAULT_TOLERANCE = 300
SCHEME = "v1"
# A real header is under 200 characters; anything much longer is someone probing.
MAX_HEADER_LENGTH = 4096

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


class SignatureError(Exception):
    """The request is unsigned, forged, stale or its header is malformed."""


def _digest(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The signature header value for ``payload`` at ``timestamp`` (now by default)."""
    if not secret:
        raise ValueError("a webhook secret cannot be empty")
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},{SCHEME}={_digest(payload, secret, t)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, equals, value = item.strip().partition("=")
        if not equals:
            continue
        if key == "t":
            timestamps.append(value)
        elif key == SCHEME and _SIGNATURE.fullmatch(value):
            # Only ASCII hex reaches compare_digest, which raises TypeError on other text.
            signatures.append(value.lower())
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]):
        # int() alone would take "1_0", " 7" and non-ASCII digits; the regex does not.
        raise SignatureError("the signature header needs exactly one numeric timestamp")
    if not signatures:
        raise SignatureError(f"the signature header has no {SCHEME} signature")
    return int(timestamps[0]), signatures


def verify(
    payload: bytes,
    header: str | None,
    secrets: Sequence[str],
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
) -> int:
    """Check ``header`` against ``payload`` and return its timestamp.

    Raises SignatureError, and nothing else, whatever the header holds.
    """
    if not header:
        raise SignatureError("the request is not signed")
    if not isinstance(header, str) or len(header) > MAX_HEADER_LENGTH:
        raise SignatureError("the signature header is malformed")
    keys = [secret for secret in secrets if secret]
    if not keys:
        raise SignatureError("no webhook secret is configured")
    timestamp, signatures = _parse(header)
    matched = False
    for secret in keys:
        expected = _digest(payload, secret, timestamp)
        for candidate in signatures:
            # No early exit: the time taken must not tell which value came close.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("no signature matches the payload")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(
            f"the signature timestamp is {current - timestamp:+.0f} s away from now "
            f"(tolerance {tolerance} s)"
        )
    return timestamp
