"""Push delivery policy and signatures: retry schedule, give-up, HMAC signing and verification."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from services.alerts.domain.retry import RetryPolicy
from services.alerts.domain.signing import signature_header, verify_signature

T0 = datetime(2026, 11, 20, tzinfo=UTC)


def test_backoff_doubles_from_the_base_and_caps_at_an_hour():
    policy = RetryPolicy(base_s=1.0)
    assert [policy.step(n) for n in range(1, 6)] == [1, 2, 4, 8, 16]
    assert policy.step(12) == 2048 and policy.step(13) == 3600 and policy.step(500) == 3600


def test_jitter_keeps_each_wait_between_half_and_all_of_its_step():
    policy = RetryPolicy(base_s=2.0)
    assert policy.delay(3, 0.0) == 4.0 and policy.delay(3, 1.0) == 8.0
    assert 4.0 < policy.delay(3, 0.5) < 8.0
    after = policy.next_attempt(3, T0, T0 + timedelta(seconds=10))
    assert T0 + timedelta(seconds=14) <= after <= T0 + timedelta(seconds=18)


def test_retries_go_on_for_24_hours_then_the_delivery_fails():
    policy = RetryPolicy(base_s=1.0)
    now, attempts = T0, 0
    while True:
        attempts += 1
        nxt = policy.next_attempt(attempts, T0, now, rand=1.0)
        if nxt is None:
            break
        assert nxt > now
        now = nxt
    assert now == T0 + timedelta(hours=24)  # the last try lands on the deadline, none after it
    assert 30 <= attempts <= 40  # 1 s … 1 h steps, then hourly until a day has passed
    assert policy.next_attempt(1, T0, T0 + timedelta(hours=25)) is None
    assert RetryPolicy(max_age=timedelta(minutes=1)).next_attempt(
        1, T0, T0 + timedelta(seconds=59.5), rand=1.0
    ) == T0 + timedelta(minutes=1)


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    body = b'{"id":"alert:1","type":"lazo.alert.raised"}'
    header = signature_header("s3cret-s3cret-s3cret", body, 1_700_000_000)
    expected = hmac.new(b"s3cret-s3cret-s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verify_accepts_the_genuine_and_rejects_tampering_wrong_secrets_and_replays():
    body, secret, t = b'{"a":1}', "shared-secret-1234", 1_700_000_000
    header = signature_header(secret, body, t)
    assert verify_signature(secret, body, header, now=t + 10)
    assert verify_signature(secret, body, f"{header},v1=00ff", now=t)  # any v1 may match (rotation)
    assert not verify_signature(secret, b'{"a":2}', header, now=t)
    assert not verify_signature("another-secret-99", body, header, now=t)
    assert not verify_signature(secret, body, header, now=t + 301)
    for bad in ("", "garbage", "t=abc,v1=00", f"v1={header.split('v1=')[1]}"):
        assert not verify_signature(secret, body, bad, now=t)
