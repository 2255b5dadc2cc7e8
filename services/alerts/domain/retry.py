"""When to try a failed push delivery again, and when to give up.

Exponential backoff (base, 2×base, 4×base … capped) with "equal jitter": each wait is drawn
between half and all of its step, so endpoints that failed together don't retry in lockstep.
Retries go on until the delivery is `max_age` old; the last attempt lands on that deadline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 1.0
    cap_s: float = 3600.0
    max_age: timedelta = timedelta(hours=24)

    def step(self, attempts: int) -> float:
        """The un-jittered wait after the `attempts`-th failed attempt (1-based)."""
        return min(self.base_s * 2 ** min(max(attempts - 1, 0), 60), self.cap_s)

    def delay(self, attempts: int, rand: float) -> float:
        return self.step(attempts) * (0.5 + rand / 2)

    def next_attempt(
        self, attempts: int, created_at: datetime, now: datetime, rand: float | None = None
    ) -> datetime | None:
        """When to try again after `attempts` failures, or None: give up, the delivery has failed."""
        deadline = created_at + self.max_age
        if now >= deadline:
            return None
        at = now + timedelta(seconds=self.delay(attempts, random.random() if rand is None else rand))
        return min(at, deadline)
