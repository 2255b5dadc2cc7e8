from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from shared import periods
from shared.contracts.alerts import AlertReason
from shared.http.auth import Reader
from shared.http.deps import SessionDep
from shared.http.doors import personal_data
from shared.http.paging import Limit, Offset
from services.alerts import queries
from services.alerts.api.schemas import AlertOut, AlertPage

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

Reason = Literal[AlertReason.IEC_AT_OR_BELOW_THRESHOLD, AlertReason.COMMENT, AlertReason.IEC_DROP]


@router.get("", dependencies=[personal_data()], response_model=AlertPage)
async def list_alerts(
    session: SessionDep,
    _: Reader,
    customer_id: Annotated[str | None, Query(max_length=200)] = None,
    program: Annotated[str | None, Query(max_length=64)] = None,
    reason: Reason | None = None,
    control_group: bool | None = None,
    raised_from: Annotated[
        str | None, Query(alias="from", description="raised at or after (ISO date or datetime; naive means UTC)")
    ] = None,
    raised_to: Annotated[str | None, Query(alias="to", description="raised before (ISO date or datetime)")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AlertPage:
    """Alerts raised (and held out), newest first, each with the responses attached during its cool-down."""
    where = queries.AlertFilter(
        customer_id=customer_id,
        program=program,
        reason=reason,
        control_group=control_group,
        raised_from=periods.since("from", raised_from),
        raised_to=periods.before("to", raised_to),
    )
    rows, total = await queries.list_alerts(session, where, limit=limit, offset=offset)
    return AlertPage(items=[AlertOut.of(a) for a in rows], total=total, limit=limit, offset=offset)


@router.get("/{alert_id}", dependencies=[personal_data()], response_model=AlertOut)
async def get_alert(alert_id: str, session: SessionDep, _: Reader) -> AlertOut:
    return AlertOut.of(await queries.get_alert(session, alert_id))
