from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query

from shared.events import utcnow
from shared.http.auth import Reader
from shared.http.deps import SessionDep, SettingsDep
from shared.http.doors import personal_data
from services.scoring import queries
from services.scoring.api.schemas import CustomerOut

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.get(
    "/{customer_id:path}",
    dependencies=[personal_data()],
    response_model=CustomerOut,
    responses={404: {"description": "unknown customer"}},
)
async def get_customer(
    customer_id: str,
    session: SessionDep,
    settings: SettingsDep,
    _: Reader,
    limit: int = Query(100, ge=1, le=1000, description="history entries, newest first"),
) -> dict:
    """The customer's IEC (that of their latest scored response) and their scored history, newest first."""
    ahead = timedelta(hours=settings.submitted_at_max_ahead_h)
    return await queries.customer(session, customer_id, limit=limit, until=utcnow() + ahead)
