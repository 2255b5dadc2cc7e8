"""The one shape of a long-running task a service owns (relay, consumers, watches, workers).

A subclass writes `run()`; `start()` and `stop()` are the same everywhere: stop cancels the task
and waits for it, so a service's shutdown leaves nothing running behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable


class BackgroundTask:
    name = "task"

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None

    async def run(self) -> None:
        raise NotImplementedError

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self.alive:
            return
        self._task = asyncio.create_task(self.run(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):  # stopping: how it ended no longer matters
            pass


class Every(BackgroundTask):
    """Run `job` every `interval_s` seconds (a sweep, a clock): a round that fails is logged, and the
    next one tries again (the database away, say)."""

    def __init__(self, name: str, interval_s: float, job: Callable[[], Awaitable[object]], log: logging.Logger):
        super().__init__()
        self.name = name
        self._interval_s = interval_s
        self._job = job
        self._log = log

    async def run(self) -> None:
        while True:
            try:
                await self._job()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._log.warning("%s failed: %s", self.name, type(exc).__name__)
            await asyncio.sleep(self._interval_s)
