from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from shared.http.app import SessionDep
from shared.http.auth import Reader
from services.scoring import queries

router = APIRouter(prefix="/v1/responses", tags=["responses"])


class ResponseOut(BaseModel):
    response_id: str
    status: str  # "scored" | "not_scored"
    iec: float | None
    segment: str | None
    reason: str | None
    customer_id: str
    program: str
    program_version: int | None
    touchpoint: str | None
    submitted_at: datetime
    scored_at: datetime


@router.get("/{response_id}", response_model=ResponseOut, responses={404: {"description": "unknown response"}})
async def get_response(response_id: str, session: SessionDep, _: Reader) -> dict:
    """A response's score, or why it was not scored (e.g. "missing answers: worth")."""
    return await queries.response(session, response_id)
