"""Group commit: many small writes that arrive together share one unit of work.

A webhook's write is a handful of rows; its transaction's fixed costs (a session, the writer's
turn on SQLite, BEGIN and COMMIT, the erasure check) were most of its price. Writes queued while a
group is being committed go together in the next one, so under load each commit carries many and
alone each still commits at once: no timer, no added wait.

Each write is a function of the unit of work that touches nothing outside it until it returns (so
it can run again). If any write of a group fails, the group is rolled back and every write is run
again in a unit of its own, so one write's failure (a lost race on a unique key, say) is its own
and the others still commit. A caller is answered only once its write has committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from shared.uow import UnitOfWork, UnitsOfWork

T = TypeVar("T")
Write = Callable[[UnitOfWork], Awaitable[Any]]


class GroupCommit:
    def __init__(self, uow: UnitsOfWork, *, prepare: Write | None = None, max_group: int = 200):
        self._uow = uow
        self._prepare = prepare  # run once at the start of each unit of work (e.g. wait for an erasure)
        self._max_group = max_group
        self._queue: list[tuple[Write, asyncio.Future]] = []
        self._committer: asyncio.Task | None = None

    async def write(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run `work` in a unit of work shared with the writes queued beside it; its result once committed."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_queued())
        return await future

    async def _commit_queued(self) -> None:
        while self._queue:
            group, self._queue = self._queue[: self._max_group], self._queue[self._max_group :]
            group = [(w, f) for w, f in group if not f.cancelled()]
            if not group:
                continue
            try:
                results = await self._run([w for w, _ in group])
            except asyncio.CancelledError:
                for _, f in group:
                    f.cancel()
                raise
            except Exception:
                for work, future in group:  # each alone: a failure is its own write's
                    try:
                        result = (await self._run([work]))[0]
                    except Exception as exc:
                        _settle(future, exc=exc)
                    else:
                        _settle(future, result=result)
                continue
            for (_, future), result in zip(group, results):
                _settle(future, result=result)

    async def _run(self, works: list[Write]) -> list[Any]:
        async with self._uow() as tx:
            if self._prepare is not None:
                await self._prepare(tx)
            return [await work(tx) for work in works]


def _settle(future: asyncio.Future, *, result: Any = None, exc: BaseException | None = None) -> None:
    if future.done():  # its caller went away (a client that hung up): nobody to tell
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
