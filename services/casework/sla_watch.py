"""The SLA clock: a background task that records each new breach once (and publishes it).

The overdue listing needs no clock (it is computed in SQL from the due times); this task is
only for the `lazo.case.overdue` event, so a contact center is told without asking.
"""

from __future__ import annotations

import asyncio
import logging

from shared.events import utcnow
from shared.runtime import Runtime
from services.casework import service

log = logging.getLogger("lazo.casework.sla")


class SlaWatch:
    def __init__(self, runtime: Runtime, interval_s: float):
        self._runtime = runtime
        self._interval_s = interval_s
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="casework-sla-watch")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def _run(self) -> None:
        while True:
            try:
                if await service.record_breaches(self._runtime.sessions, now=utcnow()):
                    self._runtime.notify_outbox()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: the next round catches up
                log.warning("SLA check failed: %s", exc)
            await asyncio.sleep(self._interval_s)
