"""Alerts' own tables: rules per programme, alerts and the responses attached to them,
push subscriptions and their deliveries (with every attempt), plus inbox and outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import UtcDateTime
from shared.house_tables import house_tables
from shared.messaging import AutoId


class Base(DeclarativeBase):
    pass


InboxEvent, OutboxEvent, DeadLetter, messaging, tombstones = house_tables(Base)


class AlertRuleSet(Base):
    """A programme's rules once changed; a programme without a row uses the defaults."""

    __tablename__ = "alert_rules"
    program: Mapped[str] = mapped_column(String(64), primary_key=True)
    threshold: Mapped[float] = mapped_column(Float)
    comment_selects: Mapped[bool] = mapped_column(Boolean)
    drop_points: Mapped[float | None] = mapped_column(Float, nullable=True)
    cooldown_days: Mapped[int] = mapped_column(Integer)
    control_share: Mapped[float] = mapped_column(Float)
    emotions: Mapped[list[str]] = mapped_column(JSON, default=list)
    causes: Mapped[list[str]] = mapped_column(JSON, default=list)
    contradiction_selects: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))


class Alert(Base):
    """One selected response that raised an alert (or was held out as control group)."""

    __tablename__ = "alerts"
    alert_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # One alert per response, whatever the delivery of score events does.
    response_id: Mapped[str] = mapped_column(String(200), unique=True)
    customer_id: Mapped[str] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    customer_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    program: Mapped[str] = mapped_column(String(64))
    touchpoint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    iec: Mapped[float] = mapped_column(Float)
    segment: Mapped[str] = mapped_column(String(32))
    previous_iec: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Comma-separated reason names: filterable with a portable LIKE.
    reasons: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime)
    control_group: Mapped[bool] = mapped_column(Boolean, default=False)
    # What scoring read in the comment (shared.contracts.scores.CommentAnalysis), carried on.
    comment_analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    attached: Mapped[list[AttachedResponse]] = relationship(
        back_populates="alert", order_by="AttachedResponse.submitted_at", lazy="raise"
    )

    __table_args__ = (
        Index("ix_alerts_customer_program_submitted", "customer_id", "program", "submitted_at"),
        Index("ix_alerts_raised_at", "raised_at"),
        Index("ix_alerts_program_raised_at", "program", "raised_at"),
    )


class AttachedResponse(Base):
    """A later selected response of a customer whose alert is still cooling down."""

    __tablename__ = "attached_responses"
    response_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.alert_id"), index=True)
    iec: Mapped[float] = mapped_column(Float)
    segment: Mapped[str] = mapped_column(String(32))
    reasons: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    touchpoint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attached_at: Mapped[datetime] = mapped_column(UtcDateTime)

    alert: Mapped[Alert] = relationship(back_populates="attached", lazy="raise")


class Subscription(Base):
    """A contact center's endpoint for push delivery. The secret signs every POST, so it is kept,
    sealed (shared.sealing, `{"secret": …}`), and never returned by the API. Deleting one keeps the
    row for its delivery history. `format`: `cloudevents` (the signed CloudEvent), `slack` or
    `teams` (a chat message: services.alerts.domain.chat; the secret is optional there)."""

    __tablename__ = "subscriptions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret_sealed: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(JSON)
    programs: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # None: every programme
    format: Mapped[str] = mapped_column(String(16), default="cloudevents", server_default="cloudevents")
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")  # a chat message's words
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class DeliveryStatus:
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"  # its subscription was deleted first

    ALL = (PENDING, DELIVERED, FAILED, CANCELLED)


class Delivery(Base):
    """One event to POST to one subscription, worked by the dispatcher until delivered or failed."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id"))
    event_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)  # what is POSTed as is: the CloudEvent, or a chat message
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    attempts: Mapped[list[DeliveryAttempt]] = relationship(order_by="DeliveryAttempt.id", lazy="raise")

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_deliveries_subscription_event"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_subscription_created", "subscription_id", "created_at"),
    )


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration_ms: Mapped[float] = mapped_column(Float)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
