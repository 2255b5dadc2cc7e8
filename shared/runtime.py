"""A service's runtime: engine, publisher, outbox relay and consumers, built and owned by the
app's lifespan (cosmicpython's bootstrap), never at import time.

Start-up never waits on a dependency: the boot task migrates and starts consumers as soon as
the database and broker answer, and `/readyz` reports what is still missing, and what is stuck:
an outbox whose oldest row waits too long, a stalled consumer (shared.health).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import db
from shared.backoff import Backoff
from shared.broker import Publisher
from shared.bus import Handler as EventHandler
from shared.bus import MessageBus
from shared.clock import Clock, SystemClock
from shared.consumer import ConsumerRunner, Handler
from shared.deadletters import Consumed, DeadLetters
from shared.health import outbox_stuck
from shared.messaging import Messaging
from shared.metrics import DEAD_LETTERS_PENDING, OUTBOX_OLDEST_AGE
from shared.outbox import OutboxRelay
from shared.settings import Settings
from shared.uow import UnitsOfWork

log = logging.getLogger("lazo.runtime")

# How often the oldest outbox row and the pending dead letters are looked up (two indexed reads):
# /metrics and /readyz are never more than this behind, and cost no query themselves.
WATCH_EVERY_S = 5.0


T = TypeVar("T")


class Runtime:
    """What one service process owns. Use cases get what they need from it explicitly: `uow` (its
    units of work), `settings`, `clock`, `publisher`, and the singletons it was told to `provide`."""

    def __init__(
        self,
        service: str,
        settings: Settings,
        *,
        migrations: Path | None = None,
        messaging: Messaging | None = None,
        clock: Clock | None = None,
    ):
        self.service = service
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        # Bound to the database when the runtime starts; its commits wake the outbox relay.
        self.uow = UnitsOfWork(messaging=messaging)
        self._provided: dict[type, Any] = {}
        self._migrations = migrations
        self.messaging = messaging
        self.engine: AsyncEngine | None = None
        self.sessions: async_sessionmaker[AsyncSession] | None = None
        self.publisher = Publisher(settings, client_id=f"lazo-{service}")
        self.relay: OutboxRelay | None = None
        self.dead_letters = (
            DeadLetters(messaging.dead_letters)
            if messaging is not None and messaging.dead_letters is not None
            else None
        )
        self.dead_letters_pending: int | None = None
        self._watch: asyncio.Task | None = None
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
        runner = ConsumerRunner(
            self.settings,
            group_id=group_id,
            topics=topics,
            handle=handle,
            publisher=self.publisher,
            record_dead_letter=self._record_dead_letter,
            **kw,
        )
        self.consumers.append(runner)
        return runner

    def use_bus(self, group_id: str, handlers: Mapping[str, EventHandler], **kw) -> ConsumerRunner:
        """The service's consumer: one group over the topics of the event types in its handler table
        (the service's `handlers.py`), each batch one unit of work through a MessageBus."""
        bus = MessageBus(self.uow, handlers)
        return self.add_consumer(group_id, bus.topics, bus.handle, **kw)

    def provide(self, value: T, as_type: type[T] | None = None) -> T:
        """Make a singleton of the service's own (a catalogue, an intake) available to its routes
        (shared.http.deps.Provided) and to its wiring, by type."""
        self._provided[as_type or type(value)] = value
        return value

    def provided(self, kind: type[T]) -> T:
        try:
            return self._provided[kind]
        except KeyError:
            raise LookupError(f"{self.service} provides no {kind.__name__}") from None

    def consumer(self, group_id: str) -> ConsumerRunner | None:
        return next((r for r in self.consumers if r.group_id == group_id), None)

    async def _record_dead_letter(self, consumed: Consumed, exc: BaseException) -> str | None:
        if self.dead_letters is None or self.sessions is None:
            return None
        async with db.transaction(self.sessions) as session:
            return await self.dead_letters.record_consumed(session, consumed, exc)

    def after_boot(
        self, start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Run `start` once the database is migrated; `stop` at shutdown."""
        self._after_boot.append(start)
        if stop:
            self._on_stop.append(stop)

    async def start(self) -> None:
        if self._migrations is not None:
            self.engine = db.make_engine(self.settings, self.service)
            self.sessions = db.make_sessionmaker(self.engine)
            self.uow.bind(self.sessions)
            if self.messaging is not None:
                self.relay = OutboxRelay(
                    self.sessions,
                    self.messaging.outbox,
                    self.publisher,
                    service=self.service,
                    dead_letters=self.dead_letters,
                )
                OUTBOX_OLDEST_AGE.labels(self.service).set_function(self.relay.oldest_age_s)
                self.uow.on_publish(self.relay.notify)
        await self.publisher.start()
        self._boot = asyncio.create_task(self._boot_when_ready(), name=f"{self.service}-boot")

    async def _boot_when_ready(self) -> None:
        backoff = Backoff(0.2, 5.0)
        while self._migrations is not None:
            try:
                await db.migrate(self.settings, self.service, self._migrations)
                break
            except Exception as exc:
                log.warning("database not ready for migrations (%s); retrying in %.1fs", exc, backoff.current)
                await backoff.sleep()
        if self.relay:
            await self.relay.start()
            self._watch = asyncio.create_task(self._watch_forever(), name=f"{self.service}-watch")
        for start in self._after_boot:
            await start()
        for runner in self.consumers:
            await runner.start()
        self.booted.set()
        log.info("%s booted", self.service)

    async def _watch_forever(self) -> None:
        while True:
            try:
                await self.relay.refresh_oldest()
                if self.dead_letters is not None:
                    async with self.sessions() as session:
                        self.dead_letters_pending = await self.dead_letters.pending(session)
                    DEAD_LETTERS_PENDING.labels(self.service).set(self.dead_letters_pending)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away: /readyz says so through its own check
                log.debug("watch skipped: %s", exc)
            await asyncio.sleep(WATCH_EVERY_S)

    async def stop(self) -> None:
        if self._watch:
            self._watch.cancel()
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
        return (await self.report())["checks"]

    async def report(self) -> dict[str, Any]:
        """/readyz: a check per dependency and per stuck-able part (all true: ready), and the figures
        behind them. Cheap: two pings; everything else is kept up to date in memory."""
        checks = {"broker": await self.publisher.ping()}
        details: dict[str, Any] = {}
        if self.engine is not None:
            checks["database"] = await db.ping(self.engine)
            checks["migrated"] = self.booted.is_set()
        if self.relay is not None:
            age = self.relay.oldest_age_s()
            checks["outbox"] = not outbox_stuck(age, self.settings.outbox_stuck_after_s)
            details["outbox"] = {
                "oldest_age_s": round(age, 1),
                "stuck_after_s": self.settings.outbox_stuck_after_s,
                "set_aside": self.relay.set_aside,
            }
        for runner in self.consumers:
            stall = runner.stall_reason()
            checks[f"consumer:{runner.group_id}"] = stall is None
            details[f"consumer:{runner.group_id}"] = {"stalled": stall, "behind": runner.behind}
        if self.dead_letters is not None:
            details["dead_letters"] = {"pending": self.dead_letters_pending}
        for name, check in self._checks.items():
            checks[name] = bool(check())
        return {"checks": checks, "details": details}
