from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from shared.events import utcnow
from shared.http.app import SessionDep
from shared.http.auth import Reader
from services.scoring import queries

router = APIRouter(prefix="/v1/customers", tags=["customers"])


class HistoryItem(BaseModel):
    response_id: str
    iec: float
    segment: str
    submitted_at: datetime


class CustomerOut(BaseModel):
    customer_id: str
    iec: float | None
    segment: str | None
    history: list[HistoryItem]


@router.get("/{customer_id:path}", response_model=CustomerOut, responses={404: {"description": "unknown customer"}})
async def get_customer(customer_id: str, request: Request, session: SessionDep, _: Reader,
                       limit: int = Query(100, ge=1, le=1000, description="history entries, newest first")) -> dict:
    """The customer's IEC (that of their latest scored response) and their scored history, newest first."""
    ahead = timedelta(hours=request.app.state.settings.submitted_at_max_ahead_h)
    return await queries.customer(session, customer_id, limit=limit, until=utcnow() + ahead)
