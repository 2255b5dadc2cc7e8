"""The one unit of work: a transaction that owns its session, the inbox and the outbox.

Use cases and event handlers do everything that must happen together inside one `UnitOfWork`:
their writes, the ids of the events they consumed (inbox) and the events they publish (outbox).
When it commits, and only then, it wakes the outbox relay and whatever else asked to be told
(a delivery worker, say) — nobody wakes them by hand.

    async with uow() as tx:
        fresh = await tx.unseen(envelopes)
        tx.session.add(...)
        tx.publish(Topic.CASES, envelope)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import db
from shared.errors import Unavailable
from shared.events import Envelope
from shared.messaging import Messaging

log = logging.getLogger("lazo.uow")

Hook = Callable[[], None]


class UnitOfWork:
    """One transaction. Enter it with `async with`; leave it normally to commit, by an error to roll back."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], messaging: Messaging | None, on_publish: Sequence[Hook] = ()
    ):
        self._sessions = sessions
        self._messaging = messaging
        self._on_publish = on_publish
        self._after_commit: list[Hook] = []
        self._published = False
        self._new: set[str] = set()
        self._tx: AbstractAsyncContextManager[AsyncSession] | None = None
        self.session: AsyncSession

    async def __aenter__(self) -> UnitOfWork:
        self._tx = db.transaction(self._sessions)
        self.session = await self._tx.__aenter__()
        return self

    async def __aexit__(self, exc_type, exc, tb) -> bool | None:
        assert self._tx is not None, "a unit of work is entered once"
        tx, self._tx = self._tx, None
        suppressed = await tx.__aexit__(exc_type, exc, tb)
        if exc_type is None:
            self._committed()
        return suppressed

    def _committed(self) -> None:
        hooks = [*(self._on_publish if self._published else ()), *self._after_commit]
        for hook in hooks:
            try:
                hook()
            except Exception:  # a wake-up that fails only delays work until the next poll
                log.exception("after-commit hook failed")

    # --- inbox and outbox -------------------------------------------------------------------

    @property
    def messaging(self) -> Messaging:
        if self._messaging is None:
            raise RuntimeError("this service has no inbox or outbox")
        return self._messaging

    async def unseen(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        """The events not applied before (nor twice in this batch); they are marked applied."""
        fresh = await self.messaging.unseen(self.session, envelopes)
        self._new.update(e.id for e in fresh)
        return fresh

    def is_new(self, envelope: Envelope) -> bool:
        """Whether `unseen` found this event new in this unit of work."""
        return envelope.id in self._new

    def publish(self, topic: str, envelope: Envelope) -> None:
        """Publish `envelope` once this unit of work has committed (through the outbox)."""
        self.messaging.add(self.session, topic, envelope)
        self._published = True

    async def publish_all(self, topic: str, envelopes: Sequence[Envelope]) -> None:
        """Many events in one INSERT, in their order."""
        if envelopes:
            await self.messaging.add_all(self.session, topic, envelopes)
            self._published = True

    def after_commit(self, hook: Hook) -> None:
        """Run `hook` once this unit of work has committed (never if it rolls back)."""
        self._after_commit.append(hook)


class UnitsOfWork:
    """A service's source of units of work (and of read-only sessions).

    Built with the service, bound to its database once the runtime has started; asked for a unit
    before then (or with no database), it answers Unavailable: the service is not ready."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession] | None = None, messaging: Messaging | None = None):
        self.sessions = sessions
        self.messaging = messaging
        self._on_publish: list[Hook] = []

    def bind(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    def on_publish(self, hook: Hook) -> None:
        """Run `hook` after every committed unit of work that published (the relay's wake-up)."""
        self._on_publish.append(hook)

    def _bound(self) -> async_sessionmaker[AsyncSession]:
        if self.sessions is None:
            raise Unavailable("the service's database is not ready yet")
        return self.sessions

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._bound(), self.messaging, self._on_publish)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for queries: no writer's turn, nothing committed."""
        async with self._bound()() as session:
            yield session
