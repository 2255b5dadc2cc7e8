"""Erasure of a customer's personal data in every service (role admin), and its progress.

The id travels URL-encoded in the path (`DELETE /v1/customers/{customer_id}`: any id ingest takes,
`/` included, as `%2F` or as is) or, for clients that would rather not encode it, in a JSON body
(`POST /v1/erasures {"customer_id": ...}`). Both answer the same.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from shared.http.auth import Admin
from shared.http.deps import Provided, PublisherDep, SessionDep, UowDep
from shared.tombstones import ErasureGuard
from services.scoring import erasure
from services.scoring.api.schemas import ErasureIn, ErasureProgress, ErasureRequested

router = APIRouter(tags=["erasure"])

RESPONSES = {
    202: {"description": "the erasure was requested of every service; follow it at GET /v1/erasures/{id}"},
    503: {"description": "the broker cannot take it now; retry after Retry-After"},
}


Guard = Provided[ErasureGuard]


async def _request(publisher, uow, guard: ErasureGuard, customer_id: str, who: str) -> dict:
    envelope = await erasure.request_erasure(publisher, uow, guard, customer_id, who)
    return {"customer_id": customer_id, "erasure_id": envelope.id, "status": "requested"}


@router.delete(
    "/v1/customers/{customer_id:path}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ErasureRequested,
    responses=RESPONSES,
)
async def erase_customer(
    customer_id: Annotated[str, Path(min_length=1, max_length=200, description="the customer id, URL-encoded")],
    publisher: PublisherDep,
    uow: UowDep,
    guard: Guard,
    who: Admin,
) -> dict:
    """Erase the customer's personal data (email, name, comments, causes, notes) in every service.

    202 once the request is on `lazo.erasures.v1`; each service then erases its copy, keeps what
    the figures need under a pseudonym, erases later events about the customer on arrival, and
    publishes `lazo.customer.erased`. Asking again is harmless.
    """
    return await _request(publisher, uow, guard, customer_id, who.who)


@router.post("/v1/erasures", status_code=status.HTTP_202_ACCEPTED, response_model=ErasureRequested, responses=RESPONSES)
async def request_erasure(body: ErasureIn, publisher: PublisherDep, uow: UowDep, guard: Guard, who: Admin) -> dict:
    """The same as `DELETE /v1/customers/{customer_id}`, with the id in the body."""
    return await _request(publisher, uow, guard, body.customer_id, who.who)


@router.get(
    "/v1/erasures/{erasure_id}", response_model=ErasureProgress, responses={404: {"description": "no such erasure"}}
)
async def erasure_progress(
    erasure_id: Annotated[str, Path(min_length=1, max_length=200)], session: SessionDep, _: Admin
) -> dict:
    """Which services have confirmed the erasure (`erased`, when, and what each changed) and which
    are still `pending`; `completed` once all have."""
    return await erasure.progress(session, erasure_id)
