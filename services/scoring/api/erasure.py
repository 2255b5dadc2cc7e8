from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from shared.http.app import RuntimeDep
from shared.http.auth import Admin
from services.scoring.erasure import request_erasure

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.delete("/{customer_id}", status_code=status.HTTP_202_ACCEPTED,
               responses={202: {"description": "the erasure was requested of every service"},
                          503: {"description": "the broker cannot take it now; retry after Retry-After"}})
async def erase_customer(customer_id: Annotated[str, Path(min_length=1, max_length=200)], runtime: RuntimeDep,
                         who: Admin) -> dict:
    """Erase the customer's personal data (email, name, comments, notes) in every service.

    202 once the request is on `lazo.erasures.v1`; each service then erases its copy and publishes
    `lazo.customer.erased`. Scores and cases stay, without personal data. Asking again is harmless.
    """
    envelope = await request_erasure(runtime.publisher, customer_id, who.who)
    return {"customer_id": customer_id, "erasure_id": envelope.id, "status": "requested"}
