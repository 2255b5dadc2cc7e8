"""The one loop for stored background work (push deliveries, platform fetches).

Work lives in database rows, so a restart loses nothing. Each round claims what is due, pushing
its next attempt one lease ahead (PostgreSQL: SKIP LOCKED, so replicas share the work); each item
runs as its own task, at most `concurrency` at once, so a slow item never holds up the others.
A process that dies mid-item leaves the lease to expire and the item runs again. While the
database is away the loop backs off and the rows wait. The work calls out through the one
outbound client (shared.outbound), which vets every target.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from shared.background import BackgroundTask
from shared.backoff import Backoff
from shared.egress import Egress
from shared.outbound import OutboundClient

log = logging.getLogger("lazo.jobs")


class LeasedWorker(BackgroundTask):
    """Subclasses say what is due (`claim`) and what to do with one item (`work`)."""

    name = "worker"

    def __init__(
        self,
        *,
        concurrency: int,
        poll_s: float,
        timeout_s: float,
        user_agent: str,
        egress: Egress,
        max_bytes: int = 1 << 20,
    ):
        super().__init__()
        self._concurrency = concurrency
        self._poll_s = poll_s
        self._timeout_s = timeout_s
        self._user_agent = user_agent
        self._egress = egress
        self._max_bytes = max_bytes
        self._wakeup = asyncio.Event()
        self._inflight: set[asyncio.Task] = set()
        self._client: OutboundClient | None = None

    async def claim(self, limit: int) -> list[Any]:
        raise NotImplementedError

    async def work(self, item: Any) -> None:
        raise NotImplementedError

    def started(self, item: Any) -> None:
        """Hook: an item's task was just created."""

    def finished(self, item: Any) -> None:
        """Hook: an item's task ended, however it ended."""

    def notify(self) -> None:
        """New work was committed: look now rather than at the next poll."""
        self._wakeup.set()

    async def start(self) -> None:
        self._client = OutboundClient(
            self._egress,
            timeout_s=self._timeout_s,
            user_agent=self._user_agent,
            max_bytes=self._max_bytes,
            max_connections=max(self._concurrency, 10),
        )
        await super().start()

    async def stop(self) -> None:
        await super().stop()
        inflight = list(self._inflight)
        for task in inflight:
            task.cancel()
        await asyncio.gather(*inflight, return_exceptions=True)
        if self._client:
            await self._client.aclose()

    async def run(self) -> None:
        backoff = Backoff(0.2, 5.0)
        while True:
            self._wakeup.clear()
            free = self._concurrency - len(self._inflight)
            try:
                due = await self.claim(free) if free > 0 else []
                backoff.reset()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: the rows wait, so do we
                log.warning("%s paused: %s", self.name, exc)
                await backoff.sleep()
                continue
            for item in due:
                task = asyncio.create_task(self._guarded(item), name=f"{self.name}-item")
                self._inflight.add(task)
                self.started(item)
                task.add_done_callback(lambda t, item=item: self._done(t, item))
            if due and len(due) == free:
                continue  # probably more due right now
            try:
                await asyncio.wait_for(self._wakeup.wait(), self._poll_s)
            except TimeoutError:
                pass

    async def _guarded(self, item: Any) -> None:
        try:
            await self.work(item)
        except asyncio.CancelledError:
            raise
        except Exception:  # the lease expires and the item runs again
            log.exception("%s: an item failed unexpectedly; it will be retried", self.name)

    def _done(self, task: asyncio.Task, item: Any) -> None:
        self._inflight.discard(task)
        self.finished(item)
        self._wakeup.set()  # a slot is free
