"""Throttling of failed authentication, per client address, in every service.

Each address may fail `LAZO_AUTH_FAILURES_BURST` times at once and then `LAZO_AUTH_FAILURES_PER_MIN`
times a minute (a token bucket of failures). Over that, a request that would fail again is
answered 429 with `Retry-After` instead of 401: guessing keys, or hammering a webhook with bad
signatures, slows to the refill rate. Only failures count and only failures are refused: a
request with a valid key passes whatever its address did (many clients may share one address
behind a proxy or NAT), so a client that authenticates is never throttled here.

Memory is bounded: at most `MAX_ADDRESSES` addresses are tracked; when full, those whose bucket has
refilled (they are not being throttled) are forgotten first, then the oldest.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from shared.http.ratelimit import TokenBucket
from shared.settings import Settings

MAX_ADDRESSES = 10_000


class FailedAuthThrottle:
    def __init__(
        self,
        per_min: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = MAX_ADDRESSES,
    ):
        self.per_s = per_min / 60
        self.burst = burst
        self._clock = clock
        self._max = max_addresses
        self._buckets: dict[str, TokenBucket] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> FailedAuthThrottle:
        return cls(settings.auth_failures_per_min, settings.auth_failures_burst)

    @property
    def enabled(self) -> bool:
        return self.per_s > 0

    def __len__(self) -> int:
        return len(self._buckets)

    def retry_after(self, address: str) -> int:
        """0 while `address` may still fail; otherwise the whole seconds until it may again."""
        bucket = self._buckets.get(address)
        if bucket is None or not self.enabled:
            return 0
        now = self._clock()
        tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.at) * self.per_s)
        return 0 if tokens >= 1 else max(1, math.ceil((1 - tokens) / self.per_s))

    def failed(self, address: str) -> None:
        """Count one failure of `address`."""
        if not self.enabled:
            return
        now = self._clock()
        bucket = self._buckets.pop(address, None)  # re-inserted last: the dict is oldest-first
        if bucket is None:
            self._make_room(now)
            bucket = TokenBucket(self.per_s, self.burst, now)
        bucket.take(now)
        self._buckets[address] = bucket

    def _make_room(self, now: float) -> None:
        if len(self._buckets) < self._max:
            return
        refilled = [a for a, b in self._buckets.items() if b.tokens + (now - b.at) * self.per_s >= self.burst]
        for address in refilled:
            del self._buckets[address]
        while len(self._buckets) >= self._max:
            del self._buckets[next(iter(self._buckets))]
