"""Customer erasure in casework.

Cases and renewal outcomes stay for the case KPIs, the SLAs and the control-group experiment,
under one pseudonym per erasure (cases and outcomes share it, so each customer still falls in
one arm with their outcome), with their states, times, owners, current feelings and outcome
values. What names or quotes the person goes: the contact (email, name), the case's cause and
every timeline entry's note and cause (free text agents type, often quoting the customer).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.models import CaseRow, OutcomeRow, TimelineRow


async def erase(session: AsyncSession, customer_id: str, pseudonym: str) -> dict[str, int]:
    case_ids = list(await session.scalars(select(CaseRow.case_id).where(CaseRow.customer_id == customer_id)))
    counts = {"cases": 0, "notes": 0, "causes": 0, "outcomes": 0}
    if case_ids:
        # The version moves on: an agent's change read before the erasure fails its optimistic lock
        # instead of writing the contact back from what it read.
        cases = await session.execute(
            update(CaseRow).where(CaseRow.customer_id == customer_id)
            .values(customer_id=pseudonym, customer_email=None, customer_name=None, cause=None,
                    version=CaseRow.version + 1)
            .execution_options(synchronize_session=False))
        notes = await session.execute(
            update(TimelineRow).where(TimelineRow.case_id.in_(case_ids), TimelineRow.note.is_not(None))
            .values(note=None).execution_options(synchronize_session=False))
        causes = await session.execute(
            update(TimelineRow).where(TimelineRow.case_id.in_(case_ids), TimelineRow.cause.is_not(None))
            .values(cause=None).execution_options(synchronize_session=False))
        counts.update(cases=cases.rowcount or 0, notes=notes.rowcount or 0, causes=causes.rowcount or 0)
    outcomes = await session.execute(
        update(OutcomeRow).where(OutcomeRow.customer_id == customer_id)
        .values(customer_id=pseudonym).execution_options(synchronize_session=False))
    counts["outcomes"] = outcomes.rowcount or 0
    return counts


