"""When a platform API fetch is tried again, and when the webhook goes to quarantine instead."""

from __future__ import annotations

from datetime import UTC, datetime

from services.ingest.domain.fetching import FetchFailure, delay_s, next_attempt


def test_fetch_retries_back_off_then_quarantine():
    now = datetime(2026, 11, 20, tzinfo=UTC)
    assert [delay_s(n) for n in (1, 2, 3)] == [2, 4, 8] and delay_s(30) == 600
    assert delay_s(1, retry_after_s=30) == 30
    assert (next_attempt(FetchFailure(503, "x"), 1, now) - now).total_seconds() == 2
    assert next_attempt(FetchFailure(None, "connection refused"), 3, now) is not None
    assert next_attempt(FetchFailure(404, "not yet"), 1, now) is not None
    assert next_attempt(FetchFailure(401, "bad token"), 1, now) is None
    assert next_attempt(FetchFailure(500, "x"), 10, now) is None
