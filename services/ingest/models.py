"""Ingest's own tables, used only by platform webhooks (the canonical endpoints stay DB-free):
sources (platform, encrypted credentials, mapping), the quarantine of payloads a mapping could
not handle, pending API fetches, and the outbox through which webhook responses are published."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UtcDateTime
from shared.house_tables import house_tables
from shared.messaging import AutoId


class Base(DeclarativeBase):
    pass


InboxEvent, OutboxEvent, DeadLetter, messaging, tombstones = house_tables(Base)


class Source(Base):
    """A platform account posting to Lazo: its credentials (sealed: encrypted with the service's
    key; a generic shared token only as its digest), its programme and its mapping. Deleting one
    keeps the row so its quarantined payloads stay readable."""

    __tablename__ = "sources"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    program: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    credentials_sealed: Mapped[str] = mapped_column(Text)
    credential_names: Mapped[list[str]] = mapped_column(JSON)
    api_base_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_sources_platform_program", "platform", "program"),)


class QuarantineStatus:
    HELD = "held"  # waiting for a fixed mapping and a replay
    REFETCHING = "refetching"  # replayed; its fetch is pending again
    REPLAYED = "replayed"  # became a response

    ALL = (HELD, REFETCHING, REPLAYED)


class QuarantineStage:
    PAYLOAD = "payload"  # correctly signed, but not the platform's format (kept as received)
    MAPPING = "mapping"  # the mapping (or the programme's scales) could not make a response of it
    FETCH = "fetch"  # the platform's API would not give the answers


class QuarantinedPayload(Base):
    """A correctly signed webhook that did not become a response, with the reason. One row per
    platform response: a platform's retries of it update the row instead of adding others."""

    __tablename__ = "quarantine"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    program: Mapped[str] = mapped_column(String(64))
    # The platform's response id, or `sha256:<digest of the body>` when the body does not tell.
    delivery_key: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # The document the mapping reads (JSON text); the raw body for stage `payload`.
    document: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=QuarantineStatus.HELD)
    deliveries: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    replayed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    replayed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    response_id: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        UniqueConstraint("source_id", "delivery_key", name="uq_quarantine_source_delivery"),
        Index("ix_quarantine_status_received", "status", "received_at"),
    )


class FetchJob(Base):
    """A SurveyMonkey or Qualtrics webhook acknowledged to the platform whose answers are still
    to be fetched from its API. Worked by the fetch worker until published or quarantined."""

    __tablename__ = "fetch_jobs"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(String(64))
    delivery_key: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(Text)  # the webhook's payload, JSON
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("source_id", "delivery_key", name="uq_fetch_jobs_source_delivery"),
        Index("ix_fetch_jobs_due", "next_attempt_at"),
    )


class WebhookDelivery(Base):
    """A Typeform or Tally delivery already received, by the platform's event id (they sign the body
    but no timestamp, so a captured request verifies for ever): a replay of it is answered
    `duplicate` and changes nothing. Written in the transaction that settled the delivery; kept
    `LAZO_WEBHOOK_REPLAY_WINDOW_H` (service.forget_old_deliveries)."""

    __tablename__ = "webhook_deliveries"
    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # what the first delivery became: accepted | quarantined
    response_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    quarantine_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_webhook_deliveries_received", "received_at"),)
