"""The one retry pause: exponential, capped, with optional full jitter.

Every loop that waits for a dependency to come back (broker, database, a contact centre) takes
its pauses from a `Backoff`, so "how long do we wait" is decided in one place.
"""

from __future__ import annotations

import asyncio
import random


class Backoff:
    def __init__(self, first_s: float = 0.2, cap_s: float = 5.0, *, factor: float = 2.0, jitter: bool = False):
        if first_s <= 0 or cap_s < first_s or factor < 1:
            raise ValueError("backoff needs 0 < first_s <= cap_s and factor >= 1")
        self.first_s = first_s
        self.cap_s = cap_s
        self.factor = factor
        self.jitter = jitter
        self._next = first_s

    @property
    def current(self) -> float:
        """The pause the next `sleep()` will take (before jitter)."""
        return self._next

    def next_delay(self) -> float:
        """The pause to take now; the following one grows by `factor`, up to `cap_s`."""
        delay = self._next
        self._next = min(self._next * self.factor, self.cap_s)
        return random.uniform(0, delay) if self.jitter else delay

    def reset(self) -> None:
        self._next = self.first_s

    async def sleep(self) -> None:
        await asyncio.sleep(self.next_delay())
