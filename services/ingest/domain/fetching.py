"""When to try a platform API fetch again, and when to stop and quarantine.

- 2xx: done.
- 404: retried — SurveyMonkey and Qualtrics may notify before the response is readable by API.
- 408, 425, 429, 5xx and network failures: retried with exponential backoff, honouring
  `Retry-After` when the platform sends one.
- Any other 4xx (401/403: a wrong or expired token): no retry; the webhook goes to quarantine at
  once, to be replayed once the source's credentials are fixed.
- After MAX_ATTEMPTS the webhook goes to quarantine too: it is never dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

RETRIABLE = frozenset({404, 408, 425, 429})
MAX_ATTEMPTS = 10
BASE_S = 2.0
CAP_S = 600.0


class FetchFailure(Exception):
    """A fetch that did not work: the HTTP status (None for the network) and what happened."""

    def __init__(self, status: int | None, reason: str, retry_after_s: float | None = None):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.retry_after_s = retry_after_s

    @property
    def retriable(self) -> bool:
        return self.status is None or self.status in RETRIABLE or self.status >= 500


def delay_s(attempt: int, retry_after_s: float | None = None) -> float:
    """Wait before attempt `attempt + 1` (attempt is 1-based): 2 s, 4 s, 8 s … capped at 10 min."""
    step = min(BASE_S * 2 ** (attempt - 1), CAP_S)
    return min(max(step, retry_after_s or 0.0), CAP_S)


def next_attempt(failure: FetchFailure, attempt: int, now: datetime) -> datetime | None:
    """When to try again, or None: quarantine it."""
    if not failure.retriable or attempt >= MAX_ATTEMPTS:
        return None
    return now + timedelta(seconds=delay_s(attempt, failure.retry_after_s))
