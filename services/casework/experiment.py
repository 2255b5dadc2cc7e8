"""The experiment's counts, in one aggregate query per question: rows never reach Python.

Each customer of the programme who had a case falls in one arm (domain/outcomes.py defines
them): `treated`, `control`, `not_worked` or `excluded` (both treated and control). Customers
with an outcome but no case at all (never selected) are counted too, as the baseline `others`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.domain.case import Status
from services.casework.domain.experiment import Group
from services.casework.models import CaseRow, OutcomeRow

ARMS = ("treated", "control", "not_worked", "excluded")
OTHERS = "others"


@dataclass(frozen=True)
class Arm:
    customers: int  # customers in the arm, with or without an outcome
    group: Group  # those with an outcome: renewals and revenue


def _latest_outcomes(program: str):
    """Each customer's newest outcome in the programme."""
    ranked = (
        select(
            OutcomeRow.customer_id,
            OutcomeRow.renewed,
            OutcomeRow.revenue,
            func.row_number().over(partition_by=OutcomeRow.customer_id, order_by=OutcomeRow.on.desc()).label("newest"),
        )
        .where(OutcomeRow.program == program)
        .subquery()
    )
    return select(ranked.c.customer_id, ranked.c.renewed, ranked.c.revenue).where(ranked.c.newest == 1).subquery()


def _arms(program: str):
    """customer_id -> arm, for every customer with a case in the programme."""
    control = CaseRow.status == Status.CONTROL.value
    worked = and_(CaseRow.status != Status.CONTROL.value, CaseRow.first_contact_at.is_not(None))
    flags = (
        select(
            CaseRow.customer_id,
            func.max(case((control, 1), else_=0)).label("control"),
            func.max(case((worked, 1), else_=0)).label("worked"),
        )
        .where(CaseRow.program == program)
        .group_by(CaseRow.customer_id)
        .subquery()
    )
    arm = case(
        (and_(flags.c.control == 1, flags.c.worked == 1), "excluded"),
        (flags.c.control == 1, "control"),
        (flags.c.worked == 1, "treated"),
        else_="not_worked",
    )
    # The arm is a column of its own subquery so that the outer GROUP BY names a plain column.
    return select(flags.c.customer_id, arm.label("arm")).subquery()


def _tally(outcome):
    return (
        func.count(outcome.c.customer_id).label("with_outcome"),
        func.coalesce(func.sum(case((outcome.c.renewed, 1), else_=0)), 0).label("renewed"),
        func.count(outcome.c.revenue).label("with_revenue"),
        func.coalesce(func.sum(outcome.c.revenue), 0.0).label("revenue_total"),
    )


def _arm(row) -> Arm:
    return Arm(
        row.customers, Group(int(row.with_outcome), int(row.renewed), int(row.with_revenue), float(row.revenue_total))
    )


async def arms(session: AsyncSession, program: str) -> dict[str, Arm]:
    """Every arm's counts (zeros for an empty arm), plus `others`: outcomes of customers never selected."""
    latest, members = _latest_outcomes(program), _arms(program)
    by_arm = (
        await session.execute(
            select(members.c.arm, func.count().label("customers"), *_tally(latest))
            .select_from(members.outerjoin(latest, latest.c.customer_id == members.c.customer_id))
            .group_by(members.c.arm)
        )
    ).all()
    out = {name: Arm(0, Group(0, 0)) for name in ARMS}
    out.update({row.arm: _arm(row) for row in by_arm})
    never_selected = ~exists().where(CaseRow.program == program, CaseRow.customer_id == latest.c.customer_id)
    others = (
        await session.execute(
            select(func.count().label("customers"), *_tally(latest)).select_from(latest).where(never_selected)
        )
    ).one()
    out[OTHERS] = _arm(others)
    return out
