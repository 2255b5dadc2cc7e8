"""The planner's writes, inside the caller's unit of work, and how rows and domain objects meet.

Inserts that may race (two planner replicas, a redelivered event) use the dialect's
`INSERT … ON CONFLICT DO NOTHING RETURNING`: the unique key decides who wrote the row, and only
the writer publishes its event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import is_postgres
from services.surveys.domain.contacts import Channel, Contact
from services.surveys.domain.invitations import Invitation, InvitationEvent, Status
from services.surveys.domain.plans import SurveyPlan
from services.surveys.domain.rules import InvitationKind, Reason
from services.surveys.models import ContactRow, InvitationRow, LeaseRow, OpenCaseRow, PlanRow, SendRow

# Rows per multi-row INSERT: SQLite allows 32,766 bound parameters; an invitation row has ~25.
CHUNK = 500


def _insert(session: AsyncSession, table):
    return (postgresql.insert if is_postgres(session.bind) else sqlite.insert)(table)


def channels_text(channels: Iterable[str]) -> str:
    return ",".join(sorted(str(c) for c in channels))


@lru_cache(maxsize=256)  # a handful of distinct values over a million contacts
def channels_of(text: str | None) -> frozenset[Channel]:
    return frozenset(Channel(c) for c in (text or "").split(",") if c)


# -- contacts ---------------------------------------------------------------------------------


def contact_values(contact: Contact, now: datetime) -> dict:
    return {
        "customer_id": contact.customer_id,
        "email": contact.email,
        "name": contact.name,
        "locale": contact.locale,
        "time_zone": contact.time_zone,
        "consent": channels_text(contact.consent),
        "customer_since": contact.customer_since,
        "next_renewal": contact.next_renewal,
        "attributes": contact.attributes,
        "unsubscribed_at": contact.unsubscribed_at,
        "bounced": channels_text(contact.bounced),
        "updated_at": now,
    }


async def upsert_contacts(session: AsyncSession, contacts: Sequence[Contact], now: datetime) -> int:
    """Insert or replace contacts by customer_id (the last of one id in `contacts` wins).

    An unsubscription or a bounce is never undone by an upsert that does not mention it: a CRM
    that re-exports its list must not resubscribe someone who clicked "unsubscribe"."""
    latest = {c.customer_id: c for c in contacts}
    rows = [contact_values(c, now) for c in latest.values()]
    for start in range(0, len(rows), CHUNK):
        stmt = _insert(session, ContactRow).values(rows[start : start + CHUNK])
        kept = {"unsubscribed_at", "bounced", "customer_id"}
        replaced = {name: stmt.excluded[name] for name in rows[0] if name not in kept}
        replaced["unsubscribed_at"] = _coalesce(stmt.excluded.unsubscribed_at, ContactRow.unsubscribed_at)
        await session.execute(stmt.on_conflict_do_update(index_elements=["customer_id"], set_=replaced))
    return len(rows)


def _coalesce(*values):
    return func.coalesce(*values)


@dataclass(frozen=True, slots=True)
class PlanningContact:
    """What planning reads of a contact (the rules and the schedule take any object with these);
    not its attributes: a JSON document per row to decode for nothing, a million times."""

    customer_id: str
    email: str | None
    name: str | None
    locale: str | None
    time_zone: str | None
    consent: frozenset[Channel]
    customer_since: date | None
    next_renewal: date | None
    unsubscribed_at: datetime | None
    bounced: frozenset[Channel]


PLANNING_COLUMNS = (
    ContactRow.customer_id,
    ContactRow.email,
    ContactRow.name,
    ContactRow.locale,
    ContactRow.time_zone,
    ContactRow.consent,
    ContactRow.customer_since,
    ContactRow.next_renewal,
    ContactRow.unsubscribed_at,
    ContactRow.bounced,
)


def planning_contact(row) -> PlanningContact:
    c = row  # a Row of PLANNING_COLUMNS, read by position (the fast path)
    return PlanningContact(c[0], c[1], c[2], c[3], c[4], channels_of(c[5]), c[6], c[7], c[8], channels_of(c[9]))


def contact_of(row: ContactRow) -> Contact:
    """A trusted row as the domain's Contact (no re-validation: the planner's hot path)."""
    return Contact.model_construct(
        customer_id=row.customer_id,
        email=row.email,
        name=row.name,
        locale=row.locale,
        time_zone=row.time_zone,
        consent=channels_of(row.consent),
        customer_since=row.customer_since,
        next_renewal=row.next_renewal,
        attributes=row.attributes or {},
        unsubscribed_at=row.unsubscribed_at,
        bounced=channels_of(row.bounced),
    )


async def unsubscribe(session: AsyncSession, customer_id: str, at: datetime) -> bool:
    result = await session.execute(
        update(ContactRow)
        .where(ContactRow.customer_id == customer_id, ContactRow.unsubscribed_at.is_(None))
        .values(unsubscribed_at=at, updated_at=at)
    )
    return bool(result.rowcount)


async def disable_channel(session: AsyncSession, customer_id: str, channel: Channel, at: datetime) -> None:
    row = await session.get(ContactRow, customer_id)
    if row is not None and channel not in channels_of(row.bounced):
        row.bounced = channels_text({*channels_of(row.bounced), channel})
        row.updated_at = at


# -- plans ------------------------------------------------------------------------------------


async def put_plan(session: AsyncSession, plan: SurveyPlan, who: str, now: datetime) -> None:
    values = {"program": plan.program, "plan": plan.model_dump(mode="json"), "updated_at": now, "updated_by": who}
    stmt = _insert(session, PlanRow).values(values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["program"], set_={k: stmt.excluded[k] for k in ("plan", "updated_at", "updated_by")}
        )
    )


def plan_of(row: PlanRow) -> SurveyPlan:
    return SurveyPlan.model_validate(row.plan)


# -- invitations ------------------------------------------------------------------------------


def invitation_values(inv: Invitation, *, day, time_zone: str, fraction: float, now: datetime) -> dict:
    return {
        "invitation_id": inv.invitation_id,
        "customer_id": inv.customer_id,
        "program": inv.program,
        "period_key": inv.period_key,
        "kind": str(inv.kind),
        "channel": str(inv.channel),
        "status": str(inv.status),
        "day": day,
        "due_at": inv.due_at,
        "expire_at": inv.expire_at,
        "remind_at": inv.remind_at,
        "case_id": inv.case_id,
        "closed_at": inv.closed_at,
        "reason": str(inv.reason) if inv.reason else None,
        "detail": _detail(inv),
        "time_zone": time_zone,
        "fraction": fraction,
        "seq": inv.seq,
        "created_at": now,
    }


def _detail(inv: Invitation) -> str | None:
    last = inv.changes[-1] if inv.changes else None
    return (last.detail or None)[:300] if last is not None and last.detail else None


async def insert_invitations(session: AsyncSession, rows: Sequence[dict]) -> set[str]:
    """Insert what the unique key lets in; the ids of the rows this call wrote. One executemany
    (SQLAlchemy batches it into multi-row INSERTs, RETURNING included)."""
    if not rows:
        return set()
    # The table, not the mapped class: a Core executemany, without the ORM's bulk bookkeeping.
    table = InvitationRow.__table__
    stmt = _insert(session, table).on_conflict_do_nothing().returning(table.c.invitation_id)
    return set((await session.execute(stmt, list(rows))).scalars().all())


def invitation_of(row: InvitationRow) -> Invitation:
    return Invitation(
        invitation_id=row.invitation_id,
        program=row.program,
        customer_id=row.customer_id,
        period_key=row.period_key,
        kind=InvitationKind(row.kind),
        channel=Channel(row.channel),
        status=Status(row.status),
        due_at=row.due_at,
        expire_at=row.expire_at,
        remind_at=row.remind_at,
        case_id=row.case_id,
        sent_at=row.sent_at,
        opened_at=row.opened_at,
        reminded_at=row.reminded_at,
        responded_at=row.responded_at,
        response_id=row.response_id,
        closed_at=row.closed_at,
        reason=Reason(row.reason) if row.reason else None,
        seq=row.seq,
    )


def store_invitation(row: InvitationRow, inv: Invitation, changes: Sequence[InvitationEvent]) -> None:
    """Write the aggregate's state (and what its `changes` tell) back to its row."""
    for name in (
        "status",
        "due_at",
        "expire_at",
        "remind_at",
        "sent_at",
        "opened_at",
        "reminded_at",
        "responded_at",
        "response_id",
        "closed_at",
        "seq",
    ):
        setattr(row, name, getattr(inv, name))
    row.status = str(inv.status)
    row.reason = str(inv.reason) if inv.reason else None
    for change in changes:
        if change.seconds_to_respond is not None:
            row.seconds_to_respond = change.seconds_to_respond
        if change.detail:
            row.detail = change.detail[:300]


async def lock_invitations(session: AsyncSession, query) -> list[InvitationRow]:
    """Rows to change, each taken by one replica (PostgreSQL: the others skip them)."""
    if is_postgres(session.bind):
        query = query.with_for_update(skip_locked=True)
    return list(await session.scalars(query))


# -- sends ------------------------------------------------------------------------------------


async def add_send(
    session: AsyncSession, invitation_id: str, purpose: str, channel: str, body: bytes, now: datetime
) -> None:
    stmt = (
        _insert(session, SendRow)
        .values(
            invitation_id=invitation_id,
            purpose=purpose,
            channel=channel,
            status="pending",
            attempt_count=0,
            next_attempt_at=now,
            body=body.decode(),
            created_at=now,
        )
        .on_conflict_do_nothing()
    )
    await session.execute(stmt)


async def cancel_sends(session: AsyncSession, invitation_ids: Sequence[str], why: str) -> None:
    if invitation_ids:
        await session.execute(
            update(SendRow)
            .where(SendRow.invitation_id.in_(invitation_ids), SendRow.status == "pending")
            .values(status="cancelled", next_attempt_at=None, last_error=why)
            .execution_options(synchronize_session=False)
        )


# -- open cases -------------------------------------------------------------------------------


async def track_case(session: AsyncSession, *, case_id: str, customer_id: str, program: str, status: str) -> None:
    """Keep the case while it is being worked; forget it once closed."""
    if status == "closed":
        row = await session.get(OpenCaseRow, case_id)
        if row is not None:
            await session.delete(row)
        return
    stmt = _insert(session, OpenCaseRow).values(
        case_id=case_id, customer_id=customer_id, program=program, status=status
    )
    await session.execute(stmt.on_conflict_do_update(index_elements=["case_id"], set_={"status": status}))


# -- the planner's lease ----------------------------------------------------------------------


async def take_lease(session: AsyncSession, name: str, holder: str, now: datetime, until: datetime) -> bool:
    """True when `holder` holds the lease until `until` (taken, renewed, or taken over once expired)."""
    await session.execute(
        _insert(session, LeaseRow).values(name=name, holder=holder, until=until).on_conflict_do_nothing()
    )
    result = await session.execute(
        update(LeaseRow)
        .where(LeaseRow.name == name, (LeaseRow.holder == holder) | (LeaseRow.until <= now))
        .values(holder=holder, until=until)
    )
    return bool(result.rowcount)


async def invitation_row(session: AsyncSession, invitation_id: str) -> InvitationRow | None:
    query = select(InvitationRow).where(InvitationRow.invitation_id == invitation_id)
    if is_postgres(session.bind):  # a report and the planner changing it wait for each other
        query = query.with_for_update()
    return (await session.scalars(query)).first()
