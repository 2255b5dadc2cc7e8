"""The one shape of a long-running task a service owns (relay, consumers, watches, workers).

A subclass writes `run()`; `start()` and `stop()` are the same everywhere: stop cancels the task
and waits for it, so a service's shutdown leaves nothing running behind it.
"""

from __future__ import annotations

import asyncio


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
