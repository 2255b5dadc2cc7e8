"""Forgetting webhook deliveries once they are older than the replay window.

Deliveries of Typeform and Tally are remembered by event id (models.WebhookDelivery) so that a
replay of their signed body is refused; the platforms' own retries end within hours (Typeform:
10 h, Tally: about 31 h), so remembering `LAZO_WEBHOOK_REPLAY_WINDOW_H` (7 days by default) covers
them with room to spare while the table stays the size of one window of deliveries.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete

from shared.db import transaction
from shared.events import utcnow
from shared.runtime import Runtime
from services.ingest.models import WebhookDelivery

log = logging.getLogger("lazo.ingest.replays")


class ReplayWindow:
    def __init__(self, runtime: Runtime, window_h: float, every_s: float = 3600.0):
        self._runtime = runtime
        self._window = timedelta(hours=window_h)
        self._every_s = min(every_s, max(1.0, window_h * 3600 / 4))
        self._task: asyncio.Task | None = None

    async def forget_old(self) -> int:
        """Delete the deliveries older than the window; how many."""
        async with transaction(self._runtime.sessions) as s:
            done = await s.execute(delete(WebhookDelivery).where(WebhookDelivery.received_at < utcnow() - self._window))
        return done.rowcount or 0

    async def _run(self) -> None:
        while True:
            try:
                if forgotten := await self.forget_old():
                    log.info("forgot %d webhook deliveries older than the replay window", forgotten)
            except Exception as exc:  # the database away: try again next round
                log.warning("could not forget old webhook deliveries: %s", type(exc).__name__)
            await asyncio.sleep(self._every_s)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ingest-replay-window")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
