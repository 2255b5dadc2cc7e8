"""Inbox and outbox tables, shared by every service that consumes or publishes from a transaction.

Inbox: the ids of events already applied, written in the same transaction as their effects,
so a redelivered event changes nothing twice. Outbox: events to publish, written in the same
transaction as the state they describe, published afterwards by the relay (shared.outbox).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, String, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.events import Envelope, utcnow

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


def messaging_tables(base: type[DeclarativeBase]) -> tuple[type, type]:
    """Declare the inbox and outbox tables on a service's declarative base."""

    class InboxEvent(base):
        __tablename__ = "inbox"
        event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
        event_type: Mapped[str] = mapped_column(String(100))
        processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    class OutboxEvent(base):
        __tablename__ = "outbox"
        id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
        topic: Mapped[str] = mapped_column(String(200))
        key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
        value: Mapped[bytes] = mapped_column(LargeBinary)
        created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    return InboxEvent, OutboxEvent


class Messaging:
    """Inbox and outbox operations on one service's tables, inside the caller's transaction.

    `dead_letters`: the service's dead-letter table (shared.deadletters.dead_letter_table), where
    its consumers and its outbox relay put what they give up on."""

    def __init__(self, inbox_model: type, outbox_model: type, dead_letters: type | None = None):
        self.inbox = inbox_model
        self.outbox = outbox_model
        self.dead_letters = dead_letters

    async def unseen(self, session: AsyncSession, envelopes: Sequence[Envelope]) -> list[Envelope]:
        """Keep the events not applied before (nor twice in this batch), and mark them applied."""
        ids = {e.id for e in envelopes}
        if not ids:
            return []
        seen = set((await session.scalars(select(self.inbox.event_id).where(self.inbox.event_id.in_(ids)))).all())
        fresh: list[Envelope] = []
        for env in envelopes:
            if env.id in seen:
                continue
            seen.add(env.id)
            fresh.append(env)
        if fresh:
            # One multi-row INSERT: per-object ORM flushes were half the cost of a consumed batch.
            await session.execute(insert(self.inbox), [{"event_id": e.id, "event_type": e.type} for e in fresh])
        return fresh

    def add(self, session: AsyncSession, topic: str, envelope: Envelope) -> None:
        session.add(self.outbox(topic=topic, key=envelope.key, value=envelope.to_bytes()))

    async def add_all(self, session: AsyncSession, topic: str, envelopes: Sequence[Envelope]) -> None:
        """Write many events to the outbox with one INSERT, in their order, in the caller's transaction."""
        if envelopes:
            await session.execute(
                insert(self.outbox), [{"topic": topic, "key": e.key, "value": e.to_bytes()} for e in envelopes]
            )
