"""The planner's reads: contacts, plans, invitations, and the figures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import NotFound
from services.surveys.domain import export
from services.surveys.domain.invitations import Status
from services.surveys.models import ContactRow, InvitationRow, PlanRow

# Invitations that went out to the customer (whatever became of them since).
WENT_OUT = [
    str(s)
    for s in (Status.DUE, Status.SENT, Status.OPENED, Status.REMINDED, Status.RESPONDED, Status.EXPIRED, Status.BOUNCED)
]


async def _page(session: AsyncSession, query, order, limit: int, offset: int) -> tuple[list, int]:
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(await session.scalars(query.order_by(*order).limit(limit).offset(offset)))
    return rows, total or 0


async def list_contacts(session: AsyncSession, *, limit: int, offset: int) -> tuple[list[ContactRow], int]:
    return await _page(session, select(ContactRow), [ContactRow.customer_id], limit, offset)


async def get_contact(session: AsyncSession, customer_id: str) -> ContactRow:
    row = await session.get(ContactRow, customer_id)
    if row is None:
        raise NotFound(f"no contact '{customer_id}'")
    return row


async def list_plans(session: AsyncSession) -> list[PlanRow]:
    return list(await session.scalars(select(PlanRow).order_by(PlanRow.program)))


async def get_plan(session: AsyncSession, program: str) -> PlanRow:
    row = await session.get(PlanRow, program)
    if row is None:
        raise NotFound(f"no survey plan for programme '{program}'")
    return row


async def list_invitations(
    session: AsyncSession,
    *,
    program: str | None,
    customer_id: str | None,
    status: str | None,
    case_id: str | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> tuple[list[InvitationRow], int]:
    query = select(InvitationRow)
    for column, value in (
        (InvitationRow.program, program),
        (InvitationRow.customer_id, customer_id),
        (InvitationRow.status, status),
        (InvitationRow.case_id, case_id),
        (InvitationRow.kind, kind),
    ):
        if value is not None:
            query = query.where(column == value)
    return await _page(session, query, [InvitationRow.created_at.desc(), InvitationRow.invitation_id], limit, offset)


async def get_invitation(session: AsyncSession, invitation_id: str) -> InvitationRow:
    row = await session.get(InvitationRow, invitation_id)
    if row is None:
        raise NotFound(f"no invitation '{invitation_id}'")
    return row


async def _median(session: AsyncSession, where: Sequence) -> float | None:
    """The median time to respond, read as one or two rows at the middle (no table in memory)."""
    seconds = InvitationRow.seconds_to_respond
    query = select(seconds).where(*where, seconds.is_not(None))
    n = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if not n:
        return None
    middle = list(await session.scalars(query.order_by(seconds).offset((n - 1) // 2).limit(2 - n % 2)))
    return sum(middle) / len(middle)


async def kpis(session: AsyncSession, *, program: str | None, since: datetime | None, until: datetime | None) -> dict:
    """Invitations planned in [since, until) of one programme (or all): how many went out, were
    suppressed (by reason), answered, how fast; the same for case follow-ups."""
    where = []
    if program is not None:
        where.append(InvitationRow.program == program)
    if since is not None:
        where.append(InvitationRow.created_at >= since)
    if until is not None:
        where.append(InvitationRow.created_at < until)
    by = {}
    for kind, status, reason, channel, n in await session.execute(
        select(InvitationRow.kind, InvitationRow.status, InvitationRow.reason, InvitationRow.channel, func.count())
        .where(*where)
        .group_by(InvitationRow.kind, InvitationRow.status, InvitationRow.reason, InvitationRow.channel)
    ):
        by[(kind, status, reason, channel)] = n

    def count(kind: str, statuses, channel: str | None = None) -> int:
        return sum(n for (k, s, _, c), n in by.items() if k == kind and s in statuses and channel in (None, c))

    sent_statuses = [
        str(s) for s in (Status.SENT, Status.OPENED, Status.REMINDED, Status.RESPONDED, Status.EXPIRED, Status.BOUNCED)
    ]
    out, responded = count("survey", WENT_OUT), count("survey", [Status.RESPONDED])
    follow_out, follow_responded = count("follow_up", WENT_OUT), count("follow_up", [Status.RESPONDED])
    suppressed: dict[str, int] = {}
    for (_, s, reason, _), n in by.items():
        if s == Status.SUPPRESSED:
            suppressed[reason or "unknown"] = suppressed.get(reason or "unknown", 0) + n
    channels = sorted({c for (_, _, _, c) in by})
    return {
        "program": program,
        "since": since,
        "until": until,
        "planned": count("survey", [Status.PLANNED]),
        "due": out,
        "sent": count("survey", sent_statuses),
        "suppressed": sum(suppressed.values()),
        "suppressed_by_reason": suppressed,
        "responded": responded,
        "response_rate": round(responded / out, 4) if out else None,
        "expired": count("survey", [Status.EXPIRED]),
        "bounced": count("survey", [Status.BOUNCED]),
        "median_seconds_to_respond": await _median(session, [*where, InvitationRow.kind == "survey"]),
        "by_channel": {
            c: {"due": count("survey", WENT_OUT, c), "responded": count("survey", [Status.RESPONDED], c)}
            for c in channels
        },
        "follow_ups": {
            "due": follow_out,
            "responded": follow_responded,
            "expired": count("follow_up", [Status.EXPIRED]),
            "response_rate": round(follow_responded / follow_out, 4) if follow_out else None,
        },
    }


async def export_invitations_page(
    session: AsyncSession,
    *,
    program: str | None,
    start: datetime | None,
    end: datetime | None,
    after: tuple[str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The next `limit` invitations created in the period, in id order (ids lead with their creation
    time), after the id in `after`: keyset pages for the streamed export."""
    i = InvitationRow
    query = select(*(c for c in i.__table__.columns if c.name in export.COLUMNS))
    if program is not None:
        query = query.where(i.program == program)
    if start is not None:
        query = query.where(i.created_at >= start)
    if end is not None:
        query = query.where(i.created_at < end)
    if after is not None:
        query = query.where(i.invitation_id > after[0])
    rows = await session.execute(query.order_by(i.invitation_id).limit(limit))
    return [dict(row._mapping) for row in rows]
