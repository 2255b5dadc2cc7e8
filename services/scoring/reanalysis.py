"""The background worker that runs re-analysis jobs (service.reanalyse_next), batch by batch.

Jobs live in `reanalysis_jobs`, so a restart resumes where the last committed batch ended. Each
batch is its own short unit of work and the loop yields between batches: scoring's consumer is
never held up for longer than one batch."""

from __future__ import annotations

import asyncio
import logging

from shared.background import BackgroundTask
from shared.backoff import Backoff
from shared.uow import UnitsOfWork
from services.scoring import service
from services.scoring.analysis import Analysis

log = logging.getLogger("lazo.scoring.reanalysis")


class Reanalyser(BackgroundTask):
    name = "scoring-reanalysis"

    def __init__(self, uow: UnitsOfWork, analysis: Analysis, *, batch: int = 200, poll_s: float = 5.0):
        super().__init__()
        self._uow = uow
        self._analysis = analysis
        self._batch = batch
        self._poll_s = poll_s
        self._wakeup = asyncio.Event()

    def notify(self) -> None:
        """A job was committed: start now rather than at the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        backoff = Backoff(0.5, 30.0)
        while True:
            self._wakeup.clear()
            try:
                more = await service.reanalyse_next(self._uow, self._analysis, size=self._batch)
                backoff.reset()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away: the job waits in its row
                log.warning("re-analysis batch failed (%s); retrying in %.1fs", type(exc).__name__, backoff.current)
                await backoff.sleep()
                continue
            if more:
                await asyncio.sleep(0)  # let the consumer's unit of work in between batches
                continue
            try:
                await asyncio.wait_for(self._wakeup.wait(), self._poll_s)
            except TimeoutError:
                pass
