from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from shared.http.app import SessionDep
from shared.http.auth import Reader
from services.scoring import queries

router = APIRouter(prefix="/v1/responses", tags=["responses"])


class ConflictOut(BaseModel):
    status: str = Field(description="`conflicting_content`")
    count: int = Field(description="how many times other content arrived under this id")
    last_at: datetime | None
    reason: str


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
    conflict: ConflictOut | None = Field(
        None, description="set when this response id was received again with different content")


@router.get("/{response_id:path}", response_model=ResponseOut, responses={404: {"description": "unknown response"}})
async def get_response(response_id: str, session: SessionDep, _: Reader) -> dict:
    """A response's score, or why it was not scored (e.g. "missing answers: worth"). The same response
    id received again with the same content changes nothing; with different content, the first is
    kept and `conflict` says so (counted in `lazo_response_conflicts_total`)."""
    return await queries.response(session, response_id)
