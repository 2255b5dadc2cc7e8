"""Dead letters: what a service gave up on, kept in its own table until ops replay or discard it.

Two kinds, one table (`dead_letters`) in every service:
- `consumer`: an event one of its consumers could never process (shared.consumer), with where it
  was read (topic, partition, offset, group). It is also published on `lazo.deadletter.v1`.
- `outbox`: an event the broker can never take (shared.outbox), set aside so that the rows
  behind it go on. A `lazo.event.deadlettered` for it goes out through the outbox.

The original bytes stay in the table, whatever their size; the dead-letter *event* carries them
only when it still fits the broker (`original_omitted` says when not). The error is kept as its
class and a message without personal data (`error_text`); nothing here is ever logged but ids,
sizes and error classes.
"""

from __future__ import annotations

import base64
import hashlib
import traceback
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from aiokafka.errors import KafkaError
from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UtcDateTime, is_postgres
from shared.errors import PermanentError, Problem
from shared.events import Envelope, EventType, utcnow
from shared.publishing import record_bytes

KINDS = ("consumer", "outbox")
STATUSES = ("pending", "replayed", "discarded")

# Bounds of what a dead letter repeats about its event: the key may be anything a producer sent.
MAX_SUBJECT_CHARS = 256
MAX_ERROR_CHARS = 1000


def dead_letter_table(base: type[DeclarativeBase]) -> type:
    """Declare the `dead_letters` table on a service's declarative base."""

    class DeadLetter(base):
        __tablename__ = "dead_letters"
        __table_args__ = (Index("ix_dead_letters_status_created", "status", "created_at"),)

        id: Mapped[str] = mapped_column(String(32), primary_key=True)
        kind: Mapped[str] = mapped_column(String(16))
        status: Mapped[str] = mapped_column(String(16), default="pending")
        topic: Mapped[str] = mapped_column(String(255))
        partition: Mapped[int | None] = mapped_column(Integer, nullable=True)
        offset: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
        consumer_group: Mapped[str | None] = mapped_column(String(255), nullable=True)
        outbox_row_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
        event_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
        event_type: Mapped[str | None] = mapped_column(String(255), nullable=True)
        key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
        original: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
        size: Mapped[int] = mapped_column(Integer, default=0)
        error_class: Mapped[str] = mapped_column(String(200))
        error: Mapped[str] = mapped_column(Text)
        # A redelivered poison event (a crash before its offset was committed) is recorded once.
        dedupe_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
        replay_attempts: Mapped[int] = mapped_column(Integer, default=0)
        last_replay_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
        resolved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
        created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
        updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    return DeadLetter


def error_text(exc: BaseException) -> tuple[str, str]:
    """(class, message) of an error, with no personal data in the message: Lazo's own refusals and
    the broker's are written without the event's values; anything else (a bug's KeyError, say,
    may quote a value) is told by where it was raised, never by its text."""
    name = type(exc).__name__
    if isinstance(exc, (PermanentError, KafkaError, Problem)):
        text = str(exc) or name
    else:
        frames = traceback.extract_tb(exc.__traceback__)
        text = (
            (f"{name} raised at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno} in {frames[-1].name}")
            if frames
            else name
        )
    return name[:200], text[:MAX_ERROR_CHARS]


def event_identity(value: bytes | None) -> tuple[str | None, str | None]:
    """The CloudEvent id and type in the bytes, when they are a CloudEvent."""
    try:
        raw = orjson.loads(value) if value else None
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(raw, dict):
        return None, None
    ident, kind = raw.get("id"), raw.get("type")
    return (str(ident)[:255] if ident is not None else None), (str(kind)[:255] if kind is not None else None)


def dead_letter_event(
    *, id: str, source: str, subject: str, where: dict[str, Any], original: bytes | None, max_bytes: int
) -> Envelope:
    """The `lazo.event.deadlettered` event, always small enough for the broker: with the original
    event when it fits, else without it (`original_omitted`; the service's table keeps it)."""
    # CloudEvents refuses an empty subject, and a poison record may have no key at all.
    subject = subject[:MAX_SUBJECT_CHARS] or "unkeyed"
    size = len(original or b"")
    data = {**where, "original": _as_json(original), "original_bytes": size, "original_omitted": False}
    envelope = Envelope.new(id=id, type=EventType.DEADLETTERED, source=source, subject=subject, data=data)
    if record_bytes(envelope.key, envelope.to_bytes()) <= max_bytes:
        return envelope
    data = {**where, "original": None, "original_bytes": size, "original_omitted": True}
    envelope = Envelope.new(id=id, type=EventType.DEADLETTERED, source=source, subject=subject, data=data)
    if record_bytes(envelope.key, envelope.to_bytes()) <= max_bytes:
        return envelope
    # Only a very low limit gets here: keep what locates the dead letter, drop the prose.
    data = {k: v for k, v in data.items() if k != "error"} | {"error": str(where.get("error", ""))[:100]}
    return Envelope.new(id=id[:200], type=EventType.DEADLETTERED, source=source, subject=subject[:64], data=data)


def _as_json(value: bytes | None) -> Any:
    if not value:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return {"base64": base64.b64encode(value).decode()}


@dataclass(frozen=True)
class Consumed:
    """Where a consumer read the event it gives up on."""

    topic: str
    partition: int
    offset: int
    group: str
    key: bytes | None
    value: bytes | None

    def dedupe_key(self) -> str:
        digest = hashlib.sha256()
        for part in (self.group, self.topic, str(self.partition), str(self.offset)):
            digest.update(part.encode() + b"\0")
        digest.update(self.value or b"")
        return digest.hexdigest()


class DeadLetters:
    """One service's dead-letter table: writes inside the caller's transaction, reads for the API."""

    def __init__(self, model: type):
        self.model = model

    def set_aside(
        self, session: AsyncSession, *, row_id: int, topic: str, key: bytes | None, value: bytes, exc: BaseException
    ) -> Any:
        """An outbox row the broker can never take (the caller deletes the row in the same transaction)."""
        error_class, error = error_text(exc)
        event_id, event_type = event_identity(value)
        letter = self.model(
            id=uuid.uuid4().hex,
            kind="outbox",
            status="pending",
            topic=topic[:255],
            outbox_row_id=row_id,
            event_id=event_id,
            event_type=event_type,
            key=key,
            original=value,
            size=len(value or b""),
            error_class=error_class,
            error=error,
            replay_attempts=0,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        session.add(letter)
        return letter

    async def record_consumed(self, session: AsyncSession, consumed: Consumed, exc: BaseException) -> str:
        """An event a consumer gave up on; recorded once however often it is redelivered. Its id."""
        error_class, error = error_text(exc)
        event_id, event_type = event_identity(consumed.value)
        dedupe = consumed.dedupe_key()
        now = utcnow()
        row = {
            "id": uuid.uuid4().hex,
            "kind": "consumer",
            "status": "pending",
            "topic": consumed.topic[:255],
            "partition": consumed.partition,
            "offset": consumed.offset,
            "consumer_group": consumed.group[:255],
            "event_id": event_id,
            "event_type": event_type,
            "key": consumed.key,
            "original": consumed.value,
            "size": len(consumed.value or b""),
            "error_class": error_class,
            "error": error,
            "dedupe_key": dedupe,
            "replay_attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        dialect = postgresql if is_postgres(session.bind) else sqlite
        await session.execute(
            dialect.insert(self.model.__table__).values(row).on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        return await session.scalar(select(self.model.id).where(self.model.dedupe_key == dedupe))

    async def erase(self, session: AsyncSession, customer_id: str) -> int:
        """Erasure: drop the originals (and keys) of the customer's dead letters, keeping where they
        were and why; a replay of one then fails as an empty message. How many were redacted."""
        m = self.model
        done = await session.execute(
            update(m)
            .where(m.key == customer_id.encode(), m.original.is_not(None))
            .values(original=None, key=None, updated_at=utcnow())
        )
        return done.rowcount or 0

    async def pending(self, session: AsyncSession) -> int:
        m = self.model
        return await session.scalar(select(func.count()).select_from(m).where(m.status == "pending")) or 0

    async def page(
        self,
        session: AsyncSession,
        *,
        status: str | None,
        kind: str | None,
        event_type: str | None,
        limit: int,
        offset: int,
    ) -> tuple[int, list[Any]]:
        m = self.model
        where = [
            c
            for c in (
                m.status == status if status else None,
                m.kind == kind if kind else None,
                m.event_type == event_type if event_type else None,
            )
            if c is not None
        ]
        total = await session.scalar(select(func.count()).select_from(m).where(*where)) or 0
        # The list never loads the original bytes: they may be a megabyte each.
        columns = [c for c in m.__table__.c if c.name not in ("original", "key")]
        rows = (
            await session.execute(
                select(*columns).where(*where).order_by(m.created_at.desc(), m.id).limit(limit).offset(offset)
            )
        ).all()
        return total, list(rows)

    async def settle(
        self,
        session: AsyncSession,
        letter_id: str,
        *,
        status: str,
        who: str | None,
        attempted: bool,
        error: BaseException | None = None,
    ) -> None:
        """Record a replay's or discard's outcome on the letter."""
        values: dict[str, Any] = {"updated_at": utcnow()}
        m = self.model
        if attempted:
            values |= {"replay_attempts": m.replay_attempts + 1, "last_replay_at": utcnow()}
        if error is not None:
            values["error_class"], values["error"] = error_text(error)
        values["status"] = status
        if status != "pending":
            values["resolved_by"] = who
        await session.execute(update(m).where(m.id == letter_id).values(**values))
