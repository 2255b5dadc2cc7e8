"""The KPI day tallies (issue 11) give exactly the figures the stored responses give.

Scoring keeps, in the same transaction as each batch of responses, their tallies per programme,
touchpoint and UTC day; the KPI and series queries read those (and the rows of at most two partial
days). Here a scoring database on either engine is filled partly before the tallies existed (the
migration fills them from the rows) and partly through the write path, and every figure of every
KPI and series shape is compared with the same query answered from the rows alone — for whole
days, partial days, open ends, every programme and touchpoint filter, and again after an erasure.
"""

from __future__ import annotations

import os
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, text

from shared.db import make_engine, make_sessionmaker, migrate
from shared.periods import Period
from shared.settings import Settings
from services.scoring import kpis, repository
from services.scoring.app import MIGRATIONS
from services.scoring.domain.kpis import day_tallies
from services.scoring.erasure import erase
from services.scoring.models import Response

UTC = UTC
PROGRAMS = ("default", "retail", "b2b")
TOUCHPOINTS = ("web", "store", "contact_center", None)
START = datetime(2026, 1, 1, tzinfo=UTC)


def responses(rng: random.Random, prefix: str, n: int) -> list[dict]:
    rows = []
    for i in range(n):
        scored = rng.random() > 0.1
        iec = round(rng.uniform(1, 10), 9) if scored else None
        if scored and rng.random() < 0.05:
            iec = rng.choice([1.0, 2.0, 9.999999999, 10.0])  # the distribution's bin edges
        rows.append(
            {
                "response_id": f"{prefix}-{i}",
                "customer_id": f"{prefix}-c{i % 40}",
                "program": rng.choice(PROGRAMS),
                "program_version": 1,
                "touchpoint": rng.choice(TOUCHPOINTS),
                # Any second of 70 days, in any offset: days cut at UTC midnight, whatever the offset.
                "submitted_at": (START + timedelta(seconds=rng.randrange(70 * 86400))).astimezone(
                    timezone(timedelta(hours=rng.choice([-5, 0, 2, 9])))
                ),
                "status": "scored" if scored else "not_scored",
                "iec": iec,
                "segment": rng.choice(["nunca_mas", "funcional", "pasivo", "wow"]) if scored else None,
                "reason": None if scored else "missing answers",
                "recommend_0_10": rng.choice([None, *range(11)]),
                "ces": rng.choice([None, round(rng.uniform(1, 7), 9)]),
                "csat": rng.choice([None, round(rng.uniform(1, 5), 9), 4.0]),
                "answers": {"experience": 5},
                "comment": "hola" if rng.random() < 0.3 else None,
                "scored_at": START,
            }
        )
    return rows


@pytest.fixture
async def sessions(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    settings = (
        Settings(database_url=url, schema_prefix=f"kd{uuid.uuid4().hex[:6]}_")
        if url
        else Settings(var_dir=tmp_path, database_url=None)
    )
    rng = random.Random(11)
    # History stored before the tallies existed: the migration that adds them fills them.
    await migrate(settings, "scoring", MIGRATIONS, revision="0006_comments")
    engine = make_engine(settings, "scoring")
    made = make_sessionmaker(engine)
    async with made() as session, session.begin():
        await session.execute(insert(Response), responses(rng, "old", 1500))
    await migrate(settings, "scoring", MIGRATIONS)
    # Then batches through the write path, as the handler stores them.
    for b in range(6):
        rows = responses(rng, f"new{b}", 400)
        async with made() as session, session.begin():
            await repository.add_responses(session, rows)
            await repository.add_kpi_days(session, day_tallies(rows))
    try:
        yield made
    finally:
        await engine.dispose()
        if url:
            cleanup = make_engine(Settings(database_url=url), "scoring")
            async with cleanup.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{settings.schema_of("scoring")}" CASCADE'))
            await cleanup.dispose()


def periods() -> list[Period]:
    day = timedelta(days=1)
    return [
        Period(),
        Period(START + 10 * day, START + 40 * day),  # whole days
        Period(START + 10 * day + timedelta(hours=7, minutes=3), START + 40 * day + timedelta(hours=20)),
        Period(START + 12 * day + timedelta(hours=1), START + 12 * day + timedelta(hours=23)),  # within a day
        Period(START + 12 * day + timedelta(hours=22), START + 13 * day + timedelta(hours=2)),  # across one midnight
        Period(START + 5 * day + timedelta(seconds=1), None),
        Period(None, START + 50 * day + timedelta(microseconds=1)),
        Period(START - 400 * day, START + 500 * day),
    ]


FILTERS = [(None, None), ("retail", None), (None, "web"), ("b2b", "store"), ("default", "nowhere")]


async def assert_tallies_equal_rows(made) -> int:
    compared = 0
    async with made() as session:
        for period in periods():
            for program, touchpoint in FILTERS:
                kept = await kpis.kpis(session, program=program, touchpoint=touchpoint, period=period)
                counted = await kpis.kpis(
                    session, program=program, touchpoint=touchpoint, period=period, from_rows=True
                )
                assert kept == counted, (period, program, touchpoint)
                compared += kept["count"] + kept["not_scored"]
                for width in ("day", "week", "month"):
                    kw = dict(
                        width=width,
                        program=program,
                        touchpoint=touchpoint,
                        period=period,
                        latest=START + timedelta(days=80),
                    )
                    assert await kpis.series(session, **kw) == await kpis.series(session, **kw, from_rows=True), (
                        width,
                        period,
                        program,
                        touchpoint,
                    )
    return compared


async def test_the_kept_day_tallies_give_exactly_the_figures_of_the_rows(sessions):
    assert await assert_tallies_equal_rows(sessions) > 10_000  # the comparisons saw real populations


async def test_after_an_erasure_the_tallies_still_equal_the_rows(sessions):
    async with sessions() as session, session.begin():
        for i in range(10):
            assert (await erase(session, f"old-c{i}", f"pseudo-{uuid.uuid4().hex}"))["responses"] > 0
    assert await assert_tallies_equal_rows(sessions) > 10_000


def test_a_batchs_tallies_are_cut_at_utc_midnight_whatever_the_offset():
    at = datetime(2026, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # 04:30 UTC on 2 March
    row = {
        "program": "p",
        "touchpoint": None,
        "submitted_at": at,
        "status": "scored",
        "iec": 7.5,
        "segment": "pasivo",
        "recommend_0_10": 8,
        "ces": None,
        "csat": 4.0,
    }
    tallies = day_tallies([row, {**row, "iec": 10.0, "submitted_at": at - timedelta(hours=5)}])
    assert set(tallies) == {("p", "", datetime(2026, 3, 2).date()), ("p", "", datetime(2026, 3, 1).date())}
    late = tallies[("p", "", datetime(2026, 3, 2).date())]
    assert late.tally.distribution[6] == 1 and late.iec_nano == 7_500_000_000 and late.tally.csat_satisfied == 1
    assert tallies[("p", "", datetime(2026, 3, 1).date())].tally.distribution[9] == 1
