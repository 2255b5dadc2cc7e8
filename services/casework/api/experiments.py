from __future__ import annotations

from fastapi import APIRouter

from shared.http.auth import Reader
from shared.http.deps import SessionDep
from services.casework import experiment
from services.casework.api.schemas import ExperimentOut, Program
from services.casework.domain.experiment import MIN_PER_GROUP, Comparison, Group, Interval

router = APIRouter(prefix="/v1/experiments", tags=["experiment"])

DEFINITIONS = {
    "treated": "customers with a case that was worked: it reached at least 'contacted' (the customer was reached "
    "and the cause recorded)",
    "control": "customers held out as the control group ('control' case): selected, never contacted",
    "not_worked": "customers selected and not held out whose case was never worked (still open, or unreachable "
    "and never reached); not part of the comparison",
    "excluded": "customers on both sides (the control share changed between their cases); not compared",
    "others": "customers with an outcome who were never selected (no case): the programme's baseline",
    "outcome": "each customer's latest renewal outcome in the programme",
    "interval": "95% Newcombe hybrid score interval (method 10) of the difference, from Wilson intervals",
}


def _pct(interval: Interval | None) -> tuple[float, float] | None:
    return None if interval is None else (100 * interval.low, 100 * interval.high)


def _arm(arm: experiment.Arm) -> dict:
    g: Group = arm.group
    return {
        "customers": arm.customers,
        "with_outcome": g.with_outcome,
        "renewed": g.renewed,
        "renewal_rate": None if g.rate is None else 100 * g.rate,
        "ci95": _pct(g.interval),
        "revenue": {"customers": g.with_revenue, "per_customer": g.revenue_per_customer},
    }


@router.get("/{program}", response_model=ExperimentOut)
async def get_experiment(program: Program, session: SessionDep, _: Reader) -> dict:
    """The control-group experiment of a programme: renewal rate of treated customers against the
    control group, the difference in points with its 95% confidence interval, the counts behind
    each, revenue per customer where given, and a verdict in plain words ("not enough data yet"
    below `minimum_per_group` customers with an outcome in either group). `definitions` says
    exactly who counts where."""
    arms = await experiment.arms(session, program)
    comparison = Comparison(arms["treated"].group, arms["control"].group, MIN_PER_GROUP)
    lift = comparison.revenue_lift
    return {
        "program": program,
        "treated": _arm(arms["treated"]),
        "control": _arm(arms["control"]),
        "difference": {
            "points": None if comparison.difference is None else 100 * comparison.difference,
            "ci95": _pct(comparison.interval),
            "revenue_lift_percent": None if lift is None else 100 * lift,
        },
        "conclusion": comparison.conclusion,
        "verdict": comparison.verdict(),
        "minimum_per_group": MIN_PER_GROUP,
        "not_worked": _arm(arms["not_worked"]),
        "excluded": _arm(arms["excluded"]),
        "others": _arm(arms[experiment.OTHERS]),
        "definitions": DEFINITIONS,
    }
