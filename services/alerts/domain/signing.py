"""Signing of push deliveries, and how a contact center verifies them.

Every POST carries `Lazo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
where body is the exact request body (bytes). To verify, a receiver:

1. reads the raw body before parsing it;
2. recomputes the HMAC with the subscription's secret over `f"{t}.".encode() + body`;
3. compares it in constant time with each `v1` value, and rejects timestamps older than a few
   minutes (replays).

`verify_signature` below does exactly that and can be copied as is (standard library only).
Deliveries are at-least-once: deduplicate on the CloudEvent `id` of the body.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Lazo-Signature"


def signature(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={signature(secret, body, timestamp)}"


def verify_signature(
    secret: str, body: bytes, header: str, *, tolerance_s: int = 300, now: float | None = None
) -> bool:
    """True when `header` is a valid Lazo-Signature of `body` made with `secret` within the tolerance."""
    try:
        parts = [p.split("=", 1) for p in header.split(",")]
        timestamp = int(next(v for k, v in parts if k.strip() == "t"))
        candidates = [v.strip() for k, v in parts if k.strip() == "v1"]
    except (ValueError, StopIteration):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    expected = signature(secret, body, timestamp)
    return any(hmac.compare_digest(expected, c) for c in candidates)
