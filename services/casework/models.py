"""Casework's own tables: cases, their timeline, the alerts they took, programme SLAs, and the
customers' renewal outcomes (the control-group experiment compares them)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UtcDateTime
from shared.house_tables import house_tables


class Base(DeclarativeBase):
    pass


InboxEvent, OutboxEvent, DeadLetter, messaging, tombstones = house_tables(Base)


class CaseRow(Base):
    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(200), index=True)
    program: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), index=True)
    owner: Mapped[str | None] = mapped_column(String(200), index=True)
    cause: Mapped[str | None] = mapped_column(String(500))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    customer_name: Mapped[str | None] = mapped_column(String(300))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    first_contact_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    analysing_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    unreachable_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    current_feeling: Mapped[float | None] = mapped_column(Float)
    first_contact_due: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    close_due: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    first_contact_overdue_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    close_overdue_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    seq: Mapped[int] = mapped_column(Integer)
    # Comment analysis's suggestions and the agent's choice (domain/case.py).
    suggested_causes: Mapped[list[dict] | None] = mapped_column(JSON, nullable=True)
    cause_key: Mapped[str | None] = mapped_column(String(40), nullable=True)
    suggestion_kept: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # Optimistic lock: an agent and the consumer changing the same case never overwrite each other.
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One case not yet closed per customer and programme (control and unreachable included).
        Index(
            "uq_cases_one_active",
            "customer_id",
            "program",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        # The KPIs and the experiment read one programme's cases (by period, by customer).
        Index("ix_cases_program_opened_at", "program", "opened_at"),
    )


class TimelineRow(Base):
    """Every change of a case, in order; (case_id, seq) is also the published event's id."""

    __tablename__ = "case_timeline"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    by: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(String(500))
    owner: Mapped[str | None] = mapped_column(String(200))
    alert_id: Mapped[str | None] = mapped_column(String(200))
    response_id: Mapped[str | None] = mapped_column(String(200))
    current_feeling: Mapped[float | None] = mapped_column(Float)
    solved: Mapped[bool | None] = mapped_column(Boolean)
    overdue: Mapped[str | None] = mapped_column(String(20))


class CaseAlertRow(Base):
    """Which case took which alert: an alert lands in exactly one case, even if re-sent under a new event id."""

    __tablename__ = "case_alerts"

    alert_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), index=True)
    response_id: Mapped[str | None] = mapped_column(String(200))
    held_out: Mapped[bool] = mapped_column(Boolean)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProgramSlaRow(Base):
    __tablename__ = "program_slas"

    program: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_contact_hours: Mapped[int] = mapped_column(Integer)
    close_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class OutcomeRow(Base):
    """A customer's renewal outcome on a date, as the CRM reported it (a correction replaces it)."""

    __tablename__ = "outcomes"

    program: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    on: Mapped[date] = mapped_column("date", Date, primary_key=True)
    renewed: Mapped[bool] = mapped_column(Boolean)
    revenue: Mapped[float | None] = mapped_column(Float)
    event_id: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditRow(Base):
    """One audit record from any service (shared.contracts.audit): kept for `GET /v1/audit`,
    append-only (nothing in Lazo updates or deletes them; retention is the operator's)."""

    __tablename__ = "audit_records"

    audit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    service: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(300))
    resource: Mapped[dict] = mapped_column(JSON)
    customer_digests: Mapped[str] = mapped_column(Text)  # space-separated keyed digests (64 hex each)
    status: Mapped[int] = mapped_column(Integer)
    client: Mapped[str] = mapped_column(String(100))

    __table_args__ = (Index("ix_audit_records_at", "at"), Index("ix_audit_records_actor_at", "actor", "at"))
