"""The planner's own tables: contacts, survey plans, invitations (one per customer, programme and
period), their sends, the cases it must not survey over, and the planner's lease."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UtcDateTime
from shared.house_tables import house_tables
from shared.messaging import AutoId


class Base(DeclarativeBase):
    pass


InboxEvent, OutboxEvent, DeadLetter, messaging, tombstones = house_tables(Base)


class ContactRow(Base):
    """A contact as last upserted. Channels are stored as sorted comma-separated names."""

    __tablename__ = "contacts"

    customer_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(2))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    consent: Mapped[str] = mapped_column(String(100))
    customer_since: Mapped[date | None] = mapped_column(Date)
    next_renewal: Mapped[date | None] = mapped_column(Date)
    attributes: Mapped[dict] = mapped_column(JSON)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    bounced: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PlanRow(Base):
    """A programme's survey plan, as the domain's SurveyPlan dumped to JSON."""

    __tablename__ = "survey_plans"

    program: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class InvitationRow(Base):
    """One invitation. (customer_id, program, period_key) is unique: however many planners run,
    however often an event is redelivered, a customer gets one invitation per programme and
    period (a follow-up's period key is `case:<case_id>`: one per case)."""

    __tablename__ = "invitations"

    invitation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Looked up by customer through the unique key below, whose first column it is.
    customer_id: Mapped[str] = mapped_column(String(200))
    program: Mapped[str] = mapped_column(String(64))
    period_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    day: Mapped[date | None] = mapped_column(Date)  # the local date it was planned for (the daily cap)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expire_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    remind_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    case_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    response_id: Mapped[str | None] = mapped_column(String(200))
    seconds_to_respond: Mapped[float | None] = mapped_column(Float)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(String(30))
    detail: Mapped[str | None] = mapped_column(String(300))
    time_zone: Mapped[str] = mapped_column(String(64))
    fraction: Mapped[float] = mapped_column(Float)  # where in the window (reminders keep it)
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("customer_id", "program", "period_key", name="uq_invitations_customer_program_period"),
        # The planner's rounds: what falls due, what to remind, what expires.
        Index("ix_invitations_status_due_at", "status", "due_at"),
        Index("ix_invitations_program_day", "program", "day"),
    )


class SendRow(Base):
    """One message to send (an invitation or its reminder) over the invitation's channel.

    The row is written in the planner's transaction; the sender claims it with a lease. Its id
    is the email's Message-ID, so a crash between sending and recording is recognised on retry
    (see docs: at most one email per send row once its outcome is recorded)."""

    __tablename__ = "sends"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    invitation_id: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invitation | reminder
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # pending | sent | logged | failed | cancelled
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    body: Mapped[str] = mapped_column(Text)  # the CloudEvent pushed to the sending tool
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("invitation_id", "purpose", name="uq_sends_invitation_purpose"),)


class OpenCaseRow(Base):
    """A case being worked for a customer (from lazo.cases.v1): no survey while it is open."""

    __tablename__ = "open_cases"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(200), index=True)
    program: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))


class LeaseRow(Base):
    """Who runs the planner's rounds: one replica at a time, until its lease runs out."""

    __tablename__ = "planner_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    until: Mapped[datetime] = mapped_column(UtcDateTime())
