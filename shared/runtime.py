"""A service's runtime: engine, publisher, outbox relay and consumers, built and owned by the
app's lifespan (cosmicpython's bootstrap), never at import time.

Start-up never waits on a dependency: the boot task migrates and starts consumers as soon as
the database and broker answer, and `/readyz` reports what is still missing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import db
from shared.broker import Publisher
from shared.consumer import ConsumerRunner, Handler
from shared.messaging import Messaging
from shared.outbox import OutboxRelay
from shared.settings import Settings

log = logging.getLogger("lazo.runtime")


class Runtime:
    def __init__(self, service: str, settings: Settings, *, migrations: Path | None = None,
                 messaging: Messaging | None = None):
        self.service = service
        self.settings = settings
        self._migrations = migrations
        self.messaging = messaging
        self.engine: AsyncEngine | None = None
        self.sessions: async_sessionmaker[AsyncSession] | None = None
        self.publisher = Publisher(settings, client_id=f"lazo-{service}")
        self.relay: OutboxRelay | None = None
        self.consumers: list[ConsumerRunner] = []
        self._after_boot: list[Callable[[], Awaitable[None]]] = []
        self._on_stop: list[Callable[[], Awaitable[None]]] = []
        self._boot: asyncio.Task | None = None
        self._checks: dict[str, Callable[[], bool]] = {}
        self.booted = asyncio.Event()

    def add_check(self, name: str, check: Callable[[], bool]) -> None:
        """A readiness condition of the service's own (e.g. a local copy caught up)."""
        self._checks[name] = check

    def add_consumer(self, group_id: str, topics: Sequence[str], handle: Handler, **kw) -> ConsumerRunner:
        runner = ConsumerRunner(self.settings, group_id=group_id, topics=topics, handle=handle,
                                publisher=self.publisher, **kw)
        self.consumers.append(runner)
        return runner

    def after_boot(self, start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run `start` once the database is migrated; `stop` at shutdown."""
        self._after_boot.append(start)
        if stop:
            self._on_stop.append(stop)

    def notify_outbox(self) -> None:
        if self.relay:
            self.relay.notify()

    async def start(self) -> None:
        if self._migrations is not None:
            self.engine = db.make_engine(self.settings, self.service)
            self.sessions = db.make_sessionmaker(self.engine)
            if self.messaging is not None:
                self.relay = OutboxRelay(self.sessions, self.messaging.outbox, self.publisher)
        await self.publisher.start()
        self._boot = asyncio.create_task(self._boot_when_ready(), name=f"{self.service}-boot")

    async def _boot_when_ready(self) -> None:
        delay = 0.2
        while self._migrations is not None:
            try:
                await db.migrate(self.settings, self.service, self._migrations)
                break
            except Exception as exc:
                log.warning("database not ready for migrations (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        if self.relay:
            await self.relay.start()
        for start in self._after_boot:
            await start()
        for runner in self.consumers:
            await runner.start()
        self.booted.set()
        log.info("%s booted", self.service)

    async def stop(self) -> None:
        if self._boot and not self._boot.done():
            self._boot.cancel()
        for runner in self.consumers:
            await runner.stop()
        for stop in reversed(self._on_stop):
            await stop()
        if self.relay:
            await self.relay.stop()
        await self.publisher.stop()
        if self.engine is not None:
            await self.engine.dispose()

    async def readiness(self) -> dict[str, bool]:
        checks = {"broker": await self.publisher.ping()}
        if self.engine is not None:
            checks["database"] = await db.ping(self.engine)
            checks["migrated"] = self.booted.is_set()
        for runner in self.consumers:
            checks[f"consumer:{runner.group_id}"] = runner.running and runner.stalled_on is None
        for name, check in self._checks.items():
            checks[name] = bool(check())
        return checks
