"""Scoring's KPI queries: aggregates computed by the database, rows never reach Python.

The database returns additive tallies (counts, sums, min, max: domain/kpis.py `Tally`) of a few
groups; Python turns those few rows into figures, and the touchpoints' means into the
consistency score.

- `kpis`: one pass over the matching rows for the population's tally, ungrouped (grouping it
  would make SQLite sort a million wide rows), and each touchpoint's count and IEC sum from an
  index that carries the IEC (models.py), in touchpoint order, without reading the table.
- `series`: one pass grouped by bucket and touchpoint; each bucket's tally is the sum of its
  touchpoints' (tens to a few thousand rows).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.domain.assessment import Status
from services.scoring.domain.buckets import Bucket, bucket_starts, series_span
from services.scoring.domain.iec import Segment
from shared.periods import Period
from services.scoring.domain.kpis import DISTRIBUTION_POINTS, Asked, Tally, point, report, total
from services.scoring.domain.measures import CES, CSAT, CSAT_SATISFIED_FROM
from services.scoring.models import Response
from services.scoring.queries import load_programs

R = Response


def _count(condition: ColumnElement[bool]) -> Any:
    # COUNT(*) FILTER (WHERE …): both PostgreSQL and SQLite (3.30+) have it, and it is cheaper
    # than SUM(CASE …) on either.
    return func.count().filter(condition)


def _tally_columns() -> list:
    """The aggregates a Tally is made of. The distribution is counted cumulatively (IEC below 2,
    below 3, …: one comparison per point instead of two) and differenced in `_tally`."""
    return [
        _count(R.status == Status.SCORED).label("scored"),
        _count(R.status == Status.NOT_SCORED).label("not_scored"),
        func.coalesce(func.sum(R.iec), 0.0).label("iec_sum"),
        func.min(R.iec).label("iec_min"), func.max(R.iec).label("iec_max"),
        *[_count(R.segment == s).label(f"seg_{s}") for s in Segment.ALL],
        *[_count(R.iec < p + 1).label(f"below_{p + 1}") for p in DISTRIBUTION_POINTS[:-1]],
        _count(R.recommend_0_10 >= 9).label("promoters"),
        _count(R.recommend_0_10.between(7, 8)).label("passives"),
        _count(R.recommend_0_10 <= 6).label("detractors"),
        func.count(R.ces).label("ces_count"), func.coalesce(func.sum(R.ces), 0.0).label("ces_sum"),
        func.count(R.csat).label("csat_count"), func.coalesce(func.sum(R.csat), 0.0).label("csat_sum"),
        _count(R.csat >= CSAT_SATISFIED_FROM).label("csat_satisfied"),
    ]


def _tally(row: Any) -> Tally:
    m = row._mapping
    # Only scored responses have an IEC (1–10): those not below 10 are at 10.
    below = [0, *(int(m[f"below_{p + 1}"]) for p in DISTRIBUTION_POINTS[:-1]), int(m["scored"])]
    return Tally(
        scored=int(m["scored"]), not_scored=int(m["not_scored"]), iec_sum=float(m["iec_sum"]),
        iec_min=m["iec_min"], iec_max=m["iec_max"],
        segments=tuple(int(m[f"seg_{s}"]) for s in Segment.ALL),
        distribution=tuple(hi - lo for lo, hi in zip(below, below[1:])),
        promoters=int(m["promoters"]), passives=int(m["passives"]), detractors=int(m["detractors"]),
        ces_count=int(m["ces_count"]), ces_sum=float(m["ces_sum"]),
        csat_count=int(m["csat_count"]), csat_sum=float(m["csat_sum"]), csat_satisfied=int(m["csat_satisfied"]),
    )


def _filters(program: str | None, touchpoint: str | None, period: Period) -> list:
    where = []
    if program is not None:
        where.append(R.program == program)
    if touchpoint is not None:
        where.append(R.touchpoint == touchpoint)
    if period.start is not None:
        where.append(R.submitted_at >= period.start)
    if period.end is not None:
        where.append(R.submitted_at < period.end)
    return where


async def _asked(session: AsyncSession, program: str | None, answered: Tally) -> Asked:
    """CES and CSAT are reported when the programme asks them, or when answers to them exist."""
    definition = (await load_programs(session, [program])).get(program) if program is not None else None

    def asks(key: str) -> bool:
        return definition is not None and definition.question(key) is not None

    return Asked(ces=asks(CES) or answered.ces_count > 0, csat=asks(CSAT) or answered.csat_count > 0)


async def kpis(session: AsyncSession, *, program: str | None, touchpoint: str | None, period: Period) -> dict[str, Any]:
    """A population's KPIs (domain/kpis.py `report`): one pass for the tallies, and each
    touchpoint's count and IEC sum read from an index that carries the IEC."""
    where = _filters(program, touchpoint, period)
    tally = _tally((await session.execute(select(*_tally_columns()).where(*where))).one())
    rows = (await session.execute(
        select(R.touchpoint, func.count(R.iec).label("scored"), func.coalesce(func.sum(R.iec), 0.0).label("iec_sum"))
        .where(*where, R.touchpoint.is_not(None)).group_by(R.touchpoint))).all()
    touchpoints = {r.touchpoint: Tally(scored=int(r.scored), iec_sum=float(r.iec_sum)) for r in rows}
    return report(tally, touchpoints, await _asked(session, program, tally))


def bucket_expression(column: Any, width: str, dialect: str) -> ColumnElement:
    """The start of `column`'s UTC day, ISO week (Monday) or month, in the database's own terms.

    PostgreSQL truncates the timestamp seen in UTC (date_trunc on a timestamptz would follow the
    session's time zone); SQLite keeps UTC text (models.UtcDateTime), so its date functions see
    UTC already. The width is a literal, not a parameter, so that the SELECT and GROUP BY
    expressions are the same to PostgreSQL.
    """
    if width not in Bucket.ALL:
        raise ValueError(f"unknown bucket {width!r}")
    if dialect == "postgresql":
        return func.date_trunc(literal_column(f"'{width}'"), func.timezone(literal_column("'UTC'"), column))
    if width == Bucket.WEEK:  # to the next Sunday (or that day), then back to its Monday
        return func.date(column, literal_column("'weekday 0'"), literal_column("'-6 days'"))
    return func.strftime(literal_column("'%Y-%m-01'" if width == Bucket.MONTH else "'%Y-%m-%d'"), column)


def _as_start(value: datetime | date | str) -> datetime:
    """A bucket start as either database returns it (naive UTC timestamp, or ISO date text)."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)


async def series(session: AsyncSession, *, width: str, program: str | None, touchpoint: str | None,
                 period: Period, latest: datetime | None = None) -> list[dict[str, Any]]:
    """The KPIs per bucket (domain/kpis.py `point`), oldest first, from one aggregate query grouped
    by bucket and touchpoint. Buckets without responses are listed with zero counts; with an open
    `from` or `to` the series starts or ends at the first or last bucket holding responses, within
    a default window (domain/buckets.py `series_span`; `latest`: no bucket starting after it)."""
    if (known := series_span([], period)) is not None:
        bucket_starts(*known, width)  # both ends given: refuse too many buckets before any work
    start = bucket_expression(R.submitted_at, width, session.bind.dialect.name).label("bucket")
    rows = (await session.execute(
        select(start, R.touchpoint, *_tally_columns()).where(*_filters(program, touchpoint, period))
        .group_by(start, R.touchpoint))).all()
    buckets: dict[datetime, dict[str | None, Tally]] = defaultdict(dict)
    for row in rows:
        buckets[_as_start(row.bucket)][row.touchpoint] = _tally(row)
    span = series_span(buckets, period, width=width, latest=latest)
    if span is None:
        return []
    asked = await _asked(session, program, total(t for b in buckets.values() for t in b.values()))
    return [point(at, buckets.get(at, {}), asked) for at in bucket_starts(*span, width)]
