"""Customer erasure in ingest: the quarantined webhook payloads that name the customer.

Ingest keeps no customers, only payloads it could not turn into responses (which hold whatever
the platform sent: emails, names, comments). A payload names the customer when a value in it is
the customer id (any JSON string or number equal to it; the id as a whole word in a body that is
not JSON). Those are deleted: replaying them later would bring the data back.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.models import QuarantinedPayload


def names_customer(document: str, customer_id: str) -> bool:
    try:
        parsed: Any = json.loads(document)
    except (ValueError, RecursionError):
        return re.search(rf"(?<![\w.@-]){re.escape(customer_id)}(?![\w.@-])", document) is not None
    stack = [parsed]
    while stack:  # iterative: a payload may nest deeper than the recursion limit
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and value.strip() == customer_id:
            return True
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and str(value) == customer_id:
            return True
    return False


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def erase(session: AsyncSession, customer_id: str) -> dict[str, int]:
    q = QuarantinedPayload
    # LIKE narrows the search to documents containing the id at all; names_customer decides.
    rows = await session.execute(select(q.id, q.document).where(q.document.like(_like(customer_id), escape="\\")))
    ids = [row.id for row in rows if names_customer(row.document, customer_id)]
    if ids:
        await session.execute(delete(q).where(q.id.in_(ids)).execution_options(synchronize_session=False))
    return {"quarantined_payloads": len(ids)}
