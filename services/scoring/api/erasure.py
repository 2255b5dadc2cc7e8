"""Erasure of a customer's personal data in every service (role admin), and its progress.

The id travels URL-encoded in the path (`DELETE /v1/customers/{customer_id}`: any id ingest takes,
`/` included, as `%2F` or as is) or, for clients that would rather not encode it, in a JSON body
(`POST /v1/erasures {"customer_id": ...}`). Both answer the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, status
from pydantic import BaseModel, Field, field_validator

from shared.http.app import RuntimeDep, SessionDep
from shared.http.auth import Admin
from services.scoring import erasure

router = APIRouter(tags=["erasure"])

CustomerId = Field(min_length=1, max_length=200)

RESPONSES = {202: {"description": "the erasure was requested of every service; follow it at GET /v1/erasures/{id}"},
             503: {"description": "the broker cannot take it now; retry after Retry-After"}}


class ErasureIn(BaseModel):
    customer_id: str = CustomerId

    @field_validator("customer_id")
    @classmethod
    def _unicode(cls, value: str) -> str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode (no lone surrogates)") from None
        return value


class ErasureRequested(BaseModel):
    customer_id: str
    erasure_id: str
    status: Literal["requested"] = "requested"


class ServiceProgress(BaseModel):
    status: Literal["erased", "pending"]
    erased_at: datetime | None
    erased: dict[str, int] | None = Field(description="what the service changed, by kind of record")


class ErasureProgress(BaseModel):
    erasure_id: str
    status: Literal["in_progress", "completed"]
    requested_at: datetime | None
    requested_by: str | None
    services: dict[str, ServiceProgress]
    pending: list[str]


async def _request(request: Request, runtime, customer_id: str, who: str) -> dict:
    envelope = await erasure.request_erasure(runtime.publisher, runtime.sessions, request.app.state.erasure_guard,
                                             customer_id, who)
    return {"customer_id": customer_id, "erasure_id": envelope.id, "status": "requested"}


@router.delete("/v1/customers/{customer_id:path}", status_code=status.HTTP_202_ACCEPTED,
               response_model=ErasureRequested, responses=RESPONSES)
async def erase_customer(customer_id: Annotated[str, Path(min_length=1, max_length=200,
                                                          description="the customer id, URL-encoded")],
                         request: Request, runtime: RuntimeDep, who: Admin) -> dict:
    """Erase the customer's personal data (email, name, comments, causes, notes) in every service.

    202 once the request is on `lazo.erasures.v1`; each service then erases its copy, keeps what
    the figures need under a pseudonym, erases later events about the customer on arrival, and
    publishes `lazo.customer.erased`. Asking again is harmless.
    """
    return await _request(request, runtime, customer_id, who.who)


@router.post("/v1/erasures", status_code=status.HTTP_202_ACCEPTED, response_model=ErasureRequested,
             responses=RESPONSES)
async def request_erasure(body: ErasureIn, request: Request, runtime: RuntimeDep, who: Admin) -> dict:
    """The same as `DELETE /v1/customers/{customer_id}`, with the id in the body."""
    return await _request(request, runtime, body.customer_id, who.who)


@router.get("/v1/erasures/{erasure_id}", response_model=ErasureProgress,
            responses={404: {"description": "no such erasure"}})
async def erasure_progress(erasure_id: Annotated[str, Path(min_length=1, max_length=200)], session: SessionDep,
                           _: Admin) -> dict:
    """Which services have confirmed the erasure (`erased`, when, and what each changed) and which
    are still `pending`; `completed` once all have."""
    return await erasure.progress(session, erasure_id)
