"""Rate limiting per API key: a token bucket per key, held in this process.

A key may make `LAZO_RATE_LIMIT_PER_S` requests a second on average and `LAZO_RATE_LIMIT_BURST`
at once; beyond that it is answered 429 problem+json with `Retry-After` (whole seconds until a
request would pass). The buckets live in the process: with N replicas behind a load balancer a
key may make up to N times the rate, so set the rate to each replica's share when that matters.

Requests count, not responses inside them: a batch of 1000 is one request (it is bounded by
`LAZO_MAX_BATCH` and the body cap instead). Requests without a key are not limited here (they
are refused by the auth dependency, or are platform webhooks authenticated by signature); keys
that match no configured key share one bucket, which slows guessing without touching real keys.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from starlette.datastructures import Headers

from shared.errors import Problem
from shared.http import problems
from shared.http.auth import Authenticator, presented_key
from shared.settings import Settings

UNKNOWN_KEYS = "unknown-keys"
_EPSILON = 1e-9


class TokenBucket:
    """`burst` tokens at most, refilled at `rate` per second; a request takes one."""

    __slots__ = ("rate", "burst", "tokens", "at")

    def __init__(self, rate: float, burst: float, now: float):
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = now

    def take(self, now: float) -> float:
        """0 when a token was taken; otherwise the seconds until one will be there."""
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1 - _EPSILON:  # float refills may fall a hair short of a whole token
            self.tokens = max(0.0, self.tokens - 1)
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimiter:
    def __init__(self, per_s: float, burst: int | None = None, clock: Callable[[], float] = time.monotonic):
        self.per_s = per_s
        self.burst = burst or max(1, math.ceil(per_s))
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(settings.rate_limit_per_s, settings.rate_limit_burst)

    @property
    def enabled(self) -> bool:
        return self.per_s > 0

    def take(self, key: str) -> float:
        """0 when `key` may go ahead now; otherwise how long it should wait, in seconds."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:  # one per configured key, plus UNKNOWN_KEYS: bounded
            bucket = self._buckets[key] = TokenBucket(self.per_s, self.burst, now)
        return bucket.take(now)


class PerKeyRateLimit:
    """Pure ASGI middleware: 429 for a key over its rate, before the request is read or routed."""

    def __init__(self, app, limiter: RateLimiter, auth: Authenticator):
        self.app = app
        self.limiter = limiter
        self.auth = auth

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.limiter.enabled:
            key = presented_key(Headers(scope=scope))
            if key:
                try:  # an access token is verified here too: its bucket is its subject's
                    principal = await self.auth.identify(Headers(scope=scope))
                except Problem:  # refused for good by the gate, inside
                    principal = None
                wait = self.limiter.take(principal.key_id if principal else UNKNOWN_KEYS)
                if wait:
                    retry_after = max(1, math.ceil(wait))
                    response = problems.problem_response(
                        429,
                        "Too many requests",
                        f"this API key is over its rate of {self.limiter.per_s:g} requests a second "
                        f"(burst {self.limiter.burst}); retry after {retry_after} s",
                        instance=scope.get("path"),
                        headers={"Retry-After": str(retry_after)},
                    )
                    return await response(scope, receive, send)
        await self.app(scope, receive, send)
