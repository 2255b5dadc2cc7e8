from __future__ import annotations

from fastapi import APIRouter

from shared.http.auth import Reader
from shared.http.deps import SessionDep
from shared.http.doors import personal_data
from services.scoring import queries
from services.scoring.api.schemas import ResponseOut

router = APIRouter(prefix="/v1/responses", tags=["responses"])


@router.get(
    "/{response_id:path}",
    dependencies=[personal_data()],
    response_model=ResponseOut,
    responses={404: {"description": "unknown response"}},
)
async def get_response(response_id: str, session: SessionDep, _: Reader) -> dict:
    """A response's score, or why it was not scored (e.g. "missing answers: worth"). The same response
    id received again with the same content changes nothing; with different content, the first is
    kept and `conflict` says so (counted in `lazo_response_conflicts_total`)."""
    return await queries.response(session, response_id)
