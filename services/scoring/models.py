"""Scoring's own tables: survey programmes, responses with their scores, erasure requests and
their progress, tombstones of erased customers, inbox and outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UtcDateTime
from shared.events import utcnow
from shared.house_tables import house_tables


class Base(DeclarativeBase):
    pass


InboxEvent, OutboxEvent, DeadLetter, messaging, tombstones = house_tables(Base)


class Program(Base):
    """The current definition of a survey programme (the built-in `default` until replaced)."""

    __tablename__ = "programs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class Response(Base):
    """Every response scoring has seen, scored or not (then with the reason): none is dropped."""

    __tablename__ = "responses"

    # The primary key is the unique constraint that keeps a response scored once.
    response_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(200))
    program: Mapped[str] = mapped_column(String(64))
    program_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    touchpoint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    iec: Mapped[float | None] = mapped_column(Float, nullable=True)
    segment: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # `recommend` on NPS's 0–10 points, fixed at scoring time so KPIs are plain SQL aggregates.
    recommend_0_10: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    # CES on 1–7 and CSAT on 1–5 when the programme asks them (domain/measures.py), likewise fixed.
    ces: Mapped[float | None] = mapped_column(Float, nullable=True)
    csat: Mapped[float | None] = mapped_column(Float, nullable=True)
    answers: Mapped[dict[str, float]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    case_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    scored_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The content digest ingest computed (shared.contracts.responses.content_digest): the same
    # response id received again with another digest is a conflict, counted and shown, never silent.
    digest: Mapped[str | None] = mapped_column(String(80), nullable=True)
    conflicts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    conflict_digest: Mapped[str | None] = mapped_column(String(80), nullable=True)  # the latest other content
    conflict_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # What the comment says (domain/comments: the contract's `comment_analysis`; null without a
    # comment), the emotion beside it for the KPIs, and the programme's taxonomy version it used.
    comment_analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    emotion: Mapped[str | None] = mapped_column(String(16), nullable=True)
    taxonomy_version: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        # A customer's history and latest IEC.
        Index("ix_responses_customer_submitted", "customer_id", "submitted_at"),
        # The KPI filters: period alone, or with a programme, a touchpoint, or both. Those with
        # the touchpoint also carry the IEC, so each touchpoint's count and mean (the consistency
        # score) are read from the index alone, in touchpoint order.
        Index("ix_responses_submitted", "submitted_at"),
        Index("ix_responses_program_submitted", "program", "submitted_at"),
        Index("ix_responses_touchpoint_submitted_iec", "touchpoint", "submitted_at", "iec"),
        Index("ix_responses_program_touchpoint_submitted_iec", "program", "touchpoint", "submitted_at", "iec"),
    )


SEGMENT_COLUMNS = ("seg_nunca_mas", "seg_funcional", "seg_pasivo", "seg_wow")  # Segment.ALL's order
DISTRIBUTION_COLUMNS = tuple(f"dist_{p}" for p in range(1, 11))  # DISTRIBUTION_POINTS' order


class KpiDay(Base):
    """The KPI tallies of one programme, touchpoint ('' for none) and UTC day, kept in the same
    transaction as the responses they count (repository.add_kpi_days): KPI and series queries read
    O(days) rows, not O(responses). Responses are stored once and never change what these count
    (erasure keeps the figures), so additions are all there is."""

    __tablename__ = "kpi_days"

    program: Mapped[str] = mapped_column(String(64), primary_key=True)
    touchpoint: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[Any] = mapped_column(Date, primary_key=True)
    scored: Mapped[int] = mapped_column(BigInteger, default=0)
    not_scored: Mapped[int] = mapped_column(BigInteger, default=0)
    iec_nano: Mapped[int] = mapped_column(BigInteger, default=0)  # domain/kpis.py NANO
    iec_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    iec_max: Mapped[float | None] = mapped_column(Float, nullable=True)
    seg_nunca_mas: Mapped[int] = mapped_column(BigInteger, default=0)
    seg_funcional: Mapped[int] = mapped_column(BigInteger, default=0)
    seg_pasivo: Mapped[int] = mapped_column(BigInteger, default=0)
    seg_wow: Mapped[int] = mapped_column(BigInteger, default=0)
    dist_1: Mapped[int] = mapped_column(BigInteger, default=0)
    dist_2: Mapped[int] = mapped_column(BigInteger, default=0)
    dist_3: Mapped[int] = mapped_column(BigInteger, default=0)
    dist_4: Mapped[int] = mapped_column(BigInteger, default=0)
    dist_5: Mapped[int] = mapped_column(BigInteger, default=0)
    dist_6: Mapped[int] = mapped_column(BigInteger, default=0)
    dist_7: Mapped[int] = mapped_column(BigInteger, default=0)
    dist_8: Mapped[int] = mapped_column(BigInteger, default=0)
    dist_9: Mapped[int] = mapped_column(BigInteger, default=0)
    dist_10: Mapped[int] = mapped_column(BigInteger, default=0)
    promoters: Mapped[int] = mapped_column(BigInteger, default=0)
    passives: Mapped[int] = mapped_column(BigInteger, default=0)
    detractors: Mapped[int] = mapped_column(BigInteger, default=0)
    ces_count: Mapped[int] = mapped_column(BigInteger, default=0)
    ces_nano: Mapped[int] = mapped_column(BigInteger, default=0)
    csat_count: Mapped[int] = mapped_column(BigInteger, default=0)
    csat_nano: Mapped[int] = mapped_column(BigInteger, default=0)
    csat_satisfied: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("ix_kpi_days_day", "day"),)


class ResponseCause(Base):
    """A cause a response's comment talks about (its key and polarity; the evidence stays in the
    analysis): what the cause counts and the driver view aggregate, joined with `responses`. Kept
    when a customer is erased (a key is a figure, not personal data); replaced by a re-analysis."""

    __tablename__ = "response_causes"

    response_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    polarity: Mapped[str] = mapped_column(String(8))

    __table_args__ = (Index("ix_response_causes_key", "key"),)


class Taxonomy(Base):
    """A programme's causes (domain/comments/taxonomy.py), when edited; else the default ten."""

    __tablename__ = "taxonomies"

    program: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class JobStatus:
    RUNNING, COMPLETED, SUPERSEDED = "running", "completed", "superseded"


class ReanalysisJob(Base):
    """A re-analysis of a programme's stored comments, run in the background in batches: its
    progress, and where it is (`after`: the last response id done, so a restart resumes)."""

    __tablename__ = "reanalysis_jobs"

    job_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    program: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # JobStatus: a newer job for the programme supersedes
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    after: Mapped[str | None] = mapped_column(String(200), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    requested_by: Mapped[str] = mapped_column(String(100))
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_reanalysis_jobs_status", "status"),)


class ErasureRequest(Base):
    """An erasure asked of every service (`DELETE /v1/customers/{id}`), for its progress. The
    customer is kept only as the tombstones' keyed digest: the request must not hold the id."""

    __tablename__ = "erasure_requests"

    erasure_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_digest: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    requested_by: Mapped[str] = mapped_column(String(200))


class ErasureConfirmation(Base):
    """One service's `lazo.customer.erased` for a request: when, and what it changed."""

    __tablename__ = "erasure_confirmations"

    erasure_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(UtcDateTime)
    erased: Mapped[dict[str, int]] = mapped_column(JSON)
