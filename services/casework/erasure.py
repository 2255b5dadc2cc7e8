"""Customer erasure in casework: the contact (email, name) on the customer's cases and the notes
of their timelines (agents write what the customer said there). Cases, states, causes, times and
outcomes stay: the SLAs, the case KPIs and the experiment are counted from them."""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.models import CaseRow, TimelineRow


async def erase(session: AsyncSession, customer_id: str) -> dict[str, int]:
    case_ids = list(await session.scalars(select(CaseRow.case_id).where(CaseRow.customer_id == customer_id)))
    if not case_ids:
        return {"cases": 0, "notes": 0}
    # The version moves on: an agent's change read before the erasure fails its optimistic lock
    # instead of writing the contact back from what it read.
    cases = await session.execute(
        update(CaseRow).where(CaseRow.customer_id == customer_id,
                              or_(CaseRow.customer_email.is_not(None), CaseRow.customer_name.is_not(None)))
        .values(customer_email=None, customer_name=None, version=CaseRow.version + 1)
        .execution_options(synchronize_session=False))
    notes = await session.execute(
        update(TimelineRow).where(TimelineRow.case_id.in_(case_ids), TimelineRow.note.is_not(None))
        .values(note=None).execution_options(synchronize_session=False))
    return {"cases": cases.rowcount or 0, "notes": notes.rowcount or 0}
