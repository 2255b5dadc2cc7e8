"""Scoring's KPI queries: they read the day tallies kept with the responses (models.KpiDay), so
a dashboard costs O(days), not O(responses), however long the history.

The database returns additive tallies (counts, sums, min, max: domain/kpis.py `Tally`) of a few
groups; Python turns those few rows into figures, and the touchpoints' means into the
consistency score. A period that starts or ends inside a UTC day is answered for its whole days
from the day tallies and for its partial days (at most two) from the rows themselves
(domain/buckets.py `split_by_days`). With `from_rows` both answer from the rows alone: the
reference a test holds the tallies to, figure for figure.

- `kpis`: the population's tally and each touchpoint's count and IEC sum.
- `series`: tallies grouped by day (or, for the rows, by bucket) and touchpoint; each bucket's
  tally is the sum of its touchpoints'.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, cast, exists, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.periods import Period
from services.scoring.domain.assessment import Status
from services.scoring.domain.buckets import Bucket, DaySplit, bucket_starts, series_span, split_by_days
from services.scoring.domain.comment_kpis import Sums, cause_counts, drivers, emotion_mix, themes
from services.scoring.domain.iec import Segment
from services.scoring.domain.kpis import DISTRIBUTION_POINTS, NANO, Asked, DayTally, Tally, point, report
from services.scoring.domain.measures import CES, CSAT, CSAT_SATISFIED_FROM
from services.scoring.models import DISTRIBUTION_COLUMNS, SEGMENT_COLUMNS, KpiDay, Response, ResponseCause
from services.scoring.queries import load_programs

R = Response


def _count(condition: ColumnElement[bool]) -> Any:
    # COUNT(*) FILTER (WHERE …): both PostgreSQL and SQLite (3.30+) have it, and it is cheaper
    # than SUM(CASE …) on either.
    return func.count().filter(condition)


def _nano_sum(column: Any) -> Any:
    """A sum in exact billionths (domain/kpis.py NANO), as the day tallies keep it."""
    return func.coalesce(func.sum(cast(func.round(column * NANO), BigInteger)), 0)


def _tally_columns() -> list:
    """The aggregates a Tally is made of. The distribution is counted cumulatively (IEC below 2,
    below 3, …: one comparison per point instead of two) and differenced in `_tally`."""
    return [
        _count(R.status == Status.SCORED).label("scored"),
        _count(R.status == Status.NOT_SCORED).label("not_scored"),
        _nano_sum(R.iec).label("iec_nano"),
        func.min(R.iec).label("iec_min"),
        func.max(R.iec).label("iec_max"),
        *[_count(R.segment == s).label(f"seg_{s}") for s in Segment.ALL],
        *[_count(R.iec < p + 1).label(f"below_{p + 1}") for p in DISTRIBUTION_POINTS[:-1]],
        _count(R.recommend_0_10 >= 9).label("promoters"),
        _count(R.recommend_0_10.between(7, 8)).label("passives"),
        _count(R.recommend_0_10 <= 6).label("detractors"),
        func.count(R.ces).label("ces_count"),
        _nano_sum(R.ces).label("ces_nano"),
        func.count(R.csat).label("csat_count"),
        _nano_sum(R.csat).label("csat_nano"),
        _count(R.csat >= CSAT_SATISFIED_FROM).label("csat_satisfied"),
    ]


def _tally(row: Any) -> DayTally:
    m = row._mapping
    # Only scored responses have an IEC (1–10): those not below 10 are at 10.
    below = [0, *(int(m[f"below_{p + 1}"]) for p in DISTRIBUTION_POINTS[:-1]), int(m["scored"])]
    return _counted(
        m,
        segments=tuple(int(m[f"seg_{s}"]) for s in Segment.ALL),
        distribution=tuple(hi - lo for lo, hi in zip(below, below[1:])),
    )


def _counted(m: Any, *, segments: tuple[int, ...], distribution: tuple[int, ...]) -> DayTally:
    """A tally from an aggregate row (of the responses, or of the day tallies): the same columns."""
    counts = (
        "scored",
        "not_scored",
        "promoters",
        "passives",
        "detractors",
        "ces_count",
        "csat_count",
        "csat_satisfied",
    )
    return DayTally(
        Tally(
            **{c: int(m[c]) for c in counts},
            iec_min=m["iec_min"],
            iec_max=m["iec_max"],
            segments=segments,
            distribution=distribution,
        ),
        iec_nano=int(m["iec_nano"]),
        ces_nano=int(m["ces_nano"]),
        csat_nano=int(m["csat_nano"]),
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


# --- from the day tallies ----------------------------------------------------------------------

D = KpiDay


def _day_tally_columns() -> list:
    return [
        func.coalesce(func.sum(D.scored), 0).label("scored"),
        func.coalesce(func.sum(D.not_scored), 0).label("not_scored"),
        func.coalesce(func.sum(D.iec_nano), 0).label("iec_nano"),
        func.min(D.iec_min).label("iec_min"),
        func.max(D.iec_max).label("iec_max"),
        *[func.coalesce(func.sum(D.__table__.c[c]), 0).label(c) for c in (*SEGMENT_COLUMNS, *DISTRIBUTION_COLUMNS)],
        *[
            func.coalesce(func.sum(D.__table__.c[c]), 0).label(c)
            for c in (
                "promoters",
                "passives",
                "detractors",
                "ces_count",
                "ces_nano",
                "csat_count",
                "csat_nano",
                "csat_satisfied",
            )
        ],
    ]


def _day_tally(row: Any) -> DayTally:
    m = row._mapping
    return _counted(
        m,
        segments=tuple(int(m[c]) for c in SEGMENT_COLUMNS),
        distribution=tuple(int(m[c]) for c in DISTRIBUTION_COLUMNS),
    )


def _day_filters(program: str | None, touchpoint: str | None, split: DaySplit) -> list:
    where = []
    if program is not None:
        where.append(D.program == program)
    if touchpoint is not None:
        where.append(D.touchpoint == touchpoint)
    if split.first_day is not None:
        where.append(D.day >= split.first_day)
    if split.end_day is not None:
        where.append(D.day < split.end_day)
    return where


def _rows_only(period: Period) -> DaySplit:
    return DaySplit(False, None, None, (period,))


def _touchpoint_of(stored: str) -> str | None:
    return stored or None  # '' is how the day tallies key responses without a touchpoint


Touchpoints = dict[str | None, DayTally]


def _merge(into: Touchpoints, more: Touchpoints) -> None:
    for name, t in more.items():
        into[name] = into[name] + t if name in into else t


async def kpis(
    session: AsyncSession, *, program: str | None, touchpoint: str | None, period: Period, from_rows: bool = False
) -> dict[str, Any]:
    """A population's KPIs (domain/kpis.py `report`), from the day tallies and the partial days'
    rows (with `from_rows`, from the rows alone)."""
    split = _rows_only(period) if from_rows else split_by_days(period)
    tally, touchpoints = DayTally(), {}
    if split.days:
        where = _day_filters(program, touchpoint, split)
        tally = _day_tally((await session.execute(select(*_day_tally_columns()).where(*where))).one())
        rows = (
            await session.execute(
                select(D.touchpoint, func.sum(D.scored).label("scored"), func.sum(D.iec_nano).label("iec_nano"))
                .where(*where, D.touchpoint != "")
                .group_by(D.touchpoint)
            )
        ).all()
        touchpoints = {r.touchpoint: DayTally(Tally(scored=int(r.scored)), iec_nano=int(r.iec_nano)) for r in rows}
    for edge in split.edges:
        more, theirs = await _tallies_from_rows(session, program, touchpoint, edge)
        tally = tally + more
        _merge(touchpoints, theirs)
    finished = tally.finished()
    return report(finished, {k: t.finished() for k, t in touchpoints.items()}, await _asked(session, program, finished))


async def _tallies_from_rows(
    session: AsyncSession, program: str | None, touchpoint: str | None, period: Period
) -> tuple[DayTally, Touchpoints]:
    """One pass over the matching rows for the tally, ungrouped (grouping would make SQLite sort
    wide rows), and each touchpoint's count and IEC sum from an index that carries the IEC."""
    where = _filters(program, touchpoint, period)
    tally = _tally((await session.execute(select(*_tally_columns()).where(*where))).one())
    rows = (
        await session.execute(
            select(R.touchpoint, func.count(R.iec).label("scored"), _nano_sum(R.iec).label("iec_nano"))
            .where(*where, R.touchpoint.is_not(None))
            .group_by(R.touchpoint)
        )
    ).all()
    return tally, {r.touchpoint: DayTally(Tally(scored=int(r.scored)), iec_nano=int(r.iec_nano)) for r in rows}


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
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


Buckets = dict[datetime, Touchpoints]


def _add(buckets: Buckets, at: datetime, touchpoint: str | None, t: DayTally) -> None:
    _merge(buckets[at], {touchpoint: t})


async def _buckets_from_rows(
    session: AsyncSession, buckets: Buckets, width: str, program: str | None, touchpoint: str | None, period: Period
) -> None:
    start = bucket_expression(R.submitted_at, width, session.bind.dialect.name).label("bucket")
    rows = (
        await session.execute(
            select(start, R.touchpoint, *_tally_columns())
            .where(*_filters(program, touchpoint, period))
            .group_by(start, R.touchpoint)
        )
    ).all()
    for row in rows:
        _add(buckets, _as_start(row.bucket), row.touchpoint, _tally(row))


async def series(
    session: AsyncSession,
    *,
    width: str,
    program: str | None,
    touchpoint: str | None,
    period: Period,
    latest: datetime | None = None,
    from_rows: bool = False,
) -> list[dict[str, Any]]:
    """The KPIs per bucket (domain/kpis.py `point`), oldest first, from the day tallies grouped by
    day and touchpoint (and the partial days' rows; with `from_rows`, the rows alone). Buckets
    without responses are listed with zero counts; with an open `from` or `to` the series starts
    or ends at the first or last bucket holding responses, within a default window
    (domain/buckets.py `series_span`; `latest`: no bucket starting after it)."""
    if (known := series_span([], period)) is not None:
        bucket_starts(*known, width)  # both ends given: refuse too many buckets before any work
    buckets: Buckets = defaultdict(dict)
    split = _rows_only(period) if from_rows else split_by_days(period)
    if split.days:
        start = _day_bucket_expression(width, session.bind.dialect.name).label("bucket")
        rows = (
            await session.execute(
                select(start, D.touchpoint, *_day_tally_columns())
                .where(*_day_filters(program, touchpoint, split))
                .group_by(start, D.touchpoint)
            )
        ).all()
        for row in rows:
            _add(buckets, _as_start(row.bucket), _touchpoint_of(row.touchpoint), _day_tally(row))
    for edge in split.edges:
        await _buckets_from_rows(session, buckets, width, program, touchpoint, edge)
    span = series_span(buckets, period, width=width, latest=latest)
    if span is None:
        return []
    asked = await _asked(session, program, sum((t for b in buckets.values() for t in b.values()), DayTally()).tally)
    return [
        point(
            at,
            {k: t.finished() for k, t in buckets.get(at, {}).items()},
            asked,
            whole=sum(buckets.get(at, {}).values(), DayTally()).finished(),
        )
        for at in bucket_starts(*span, width)
    ]


def _day_bucket_expression(width: str, dialect: str) -> ColumnElement:
    """The start of a kept day's bucket, as `bucket_expression` gives it for a response's time."""
    if width not in Bucket.ALL:
        raise ValueError(f"unknown bucket {width!r}")
    if dialect == "postgresql":
        return func.date_trunc(literal_column(f"'{width}'"), D.day)
    if width == Bucket.WEEK:
        return func.date(D.day, literal_column("'weekday 0'"), literal_column("'-6 days'"))
    return func.strftime(literal_column("'%Y-%m-01'" if width == Bucket.MONTH else "'%Y-%m-%d'"), D.day)


# --- what comments say ---------------------------------------------------------------------------

GROUPS = ("segment", "touchpoint", *Bucket.ALL)


def _group_expression(group_by: str, dialect: str) -> Any:
    if group_by == "segment":
        return R.segment
    if group_by == "touchpoint":
        return R.touchpoint
    return bucket_expression(R.submitted_at, group_by, dialect)


def _group_value(group_by: str, value: Any) -> Any:
    return _as_start(value) if group_by in Bucket.ALL and value is not None else value


async def comment_kpis(
    session: AsyncSession, *, program: str | None, touchpoint: str | None, period: Period, group_by: str | None = None
) -> dict[str, Any]:
    """The emotion mix and cause counts of the analysed comments (domain/comment_kpis.py), over the
    whole population and, with `group_by` (segment, touchpoint, day, week, month), per group."""
    where = [*_filters(program, touchpoint, period), R.emotion.is_not(None)]
    joined = (
        select(ResponseCause.key, ResponseCause.polarity, func.count().label("n"))
        .join(R, R.response_id == ResponseCause.response_id)
        .where(*where[:-1])
    )
    emotions = dict((await session.execute(select(R.emotion, func.count()).where(*where).group_by(R.emotion))).all())
    causes = (await session.execute(joined.group_by(ResponseCause.key, ResponseCause.polarity))).all()
    report: dict[str, Any] = {**emotion_mix(emotions), "causes": cause_counts(causes), "group_by": group_by}
    if group_by is None:
        return report
    group = _group_expression(group_by, session.bind.dialect.name).label("grp")
    per_emotion: dict[Any, dict[str, int]] = defaultdict(dict)
    for grp, emotion, n in (
        await session.execute(select(group, R.emotion, func.count()).where(*where).group_by(group, R.emotion))
    ).all():
        per_emotion[_group_value(group_by, grp)][emotion] = n
    per_cause: dict[Any, list] = defaultdict(list)
    for grp, key, polarity, n in (
        await session.execute(
            select(group, ResponseCause.key, ResponseCause.polarity, func.count())
            .join(R, R.response_id == ResponseCause.response_id)
            .where(*where[:-1])
            .group_by(group, ResponseCause.key, ResponseCause.polarity)
        )
    ).all():
        per_cause[_group_value(group_by, grp)].append((key, polarity, n))
    keys = sorted(per_emotion.keys() | per_cause.keys(), key=lambda g: (g is None, g if g is not None else ""))
    report["groups"] = [
        {"group": g, **emotion_mix(per_emotion.get(g, {})), "causes": cause_counts(per_cause[g])} for g in keys
    ]
    return report


async def drivers_report(
    session: AsyncSession, *, program: str | None, touchpoint: str | None, period: Period
) -> dict[str, Any]:
    """The driver view over scored responses with an analysed comment (domain/comment_kpis.py)."""
    where = [*_filters(program, touchpoint, period), R.status == Status.SCORED, R.emotion.is_not(None)]
    base = (await session.execute(select(func.count(), func.coalesce(func.sum(R.iec), 0.0)).where(*where))).one()
    rows = (
        await session.execute(
            select(ResponseCause.key, func.count(), func.coalesce(func.sum(R.iec), 0.0))
            .join(R, R.response_id == ResponseCause.response_id)
            .where(*where)
            .group_by(ResponseCause.key)
        )
    ).all()
    return {
        "analysed": int(base[0]),
        "drivers": drivers(Sums(int(base[0]), float(base[1])), {k: Sums(int(n), float(s)) for k, n, s in rows}),
    }


THEMES_DEFAULT_DAYS = 30
THEMES_ROWS = 20_000  # comments read per period at most (newest first): the answer's cost is bounded


async def themes_report(
    session: AsyncSession, *, program: str | None, touchpoint: str | None, period: Period, max_iec: float, now: datetime
) -> dict[str, Any]:
    """Emerging themes (domain/comment_kpis.py `themes`): keyphrases of scored comments at or below
    `max_iec` that no cause covered, in the period against the one of the same length before it.
    Without `to` the period ends now; without `from` it spans the 30 days before its end."""
    end = period.end or now
    start = period.start or end - timedelta(days=THEMES_DEFAULT_DAYS)
    before = start - (end - start)
    covered = exists().where(ResponseCause.response_id == R.response_id)
    where = [
        *_filters(program, touchpoint, Period(None, None)),
        R.status == Status.SCORED,
        R.iec <= max_iec,
        R.emotion.is_not(None),
        ~covered,
    ]

    async def phrases(lo: datetime, hi: datetime) -> list[list[str]]:
        rows = await session.scalars(
            select(R.comment_analysis)
            .where(*where, R.submitted_at >= lo, R.submitted_at < hi)
            .order_by(R.submitted_at.desc())
            .limit(THEMES_ROWS)
        )
        return [list((a or {}).get("keyphrases") or ()) for a in rows]

    current = await phrases(start, end)
    return {
        "from": start,
        "to": end,
        "max_iec": max_iec,
        "comments": len(current),
        "themes": themes(current, await phrases(before, start)),
    }
