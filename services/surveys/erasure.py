"""Customer erasure in surveys.

The contact goes (address, name, attributes, consent): nothing left can reach the person, and the
planner plans only from contacts. The invitations stay for the figures (sent, answered, time to
respond), under the erasure's pseudonym; their send rows lose the event they carried (it held the
address and the link), and those not yet sent are cancelled. Open cases are forgotten.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.surveys.models import ContactRow, InvitationRow, OpenCaseRow, SendRow

ERASED = "cancelled: the customer was erased"


async def erase(session: AsyncSession, customer_id: str, pseudonym: str) -> dict[str, int]:
    contacts = await session.execute(delete(ContactRow).where(ContactRow.customer_id == customer_id))
    ids = list(
        await session.scalars(select(InvitationRow.invitation_id).where(InvitationRow.customer_id == customer_id))
    )
    counts = {"contacts": contacts.rowcount or 0, "invitations": len(ids), "sends": 0, "cancelled_sends": 0}
    await session.execute(delete(OpenCaseRow).where(OpenCaseRow.customer_id == customer_id))
    if not ids:
        return counts
    await session.execute(
        update(InvitationRow)
        .where(InvitationRow.invitation_id.in_(ids))
        .values(customer_id=pseudonym)
        .execution_options(synchronize_session=False)
    )
    cancelled = await session.execute(
        update(SendRow)
        .where(SendRow.invitation_id.in_(ids), SendRow.status == "pending")
        .values(status="cancelled", next_attempt_at=None, last_error=ERASED)
        .execution_options(synchronize_session=False)
    )
    scrubbed = await session.execute(
        update(SendRow)
        .where(SendRow.invitation_id.in_(ids))
        .values(body="")
        .execution_options(synchronize_session=False)
    )
    counts.update(sends=scrubbed.rowcount or 0, cancelled_sends=cancelled.rowcount or 0)
    return counts
