"""The SLA clock: a background task that records each new breach once (and publishes it).

The overdue listing needs no clock (it is computed in SQL from the due times); this task is
only for the `lazo.case.overdue` event, so a contact center is told without asking.
"""

from __future__ import annotations

import asyncio
import logging

from shared.background import BackgroundTask
from shared.clock import Clock
from shared.uow import UnitsOfWork
from services.casework import service

log = logging.getLogger("lazo.casework.sla")


class SlaWatch(BackgroundTask):
    name = "casework-sla-watch"

    def __init__(self, uow: UnitsOfWork, clock: Clock, interval_s: float):
        super().__init__()
        self._uow = uow
        self._clock = clock
        self._interval_s = interval_s

    async def run(self) -> None:
        while True:
            try:
                await service.record_breaches(self._uow, now=self._clock.now())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: the next round catches up
                log.warning("SLA check failed: %s", exc)
            await asyncio.sleep(self._interval_s)
