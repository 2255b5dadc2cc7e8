"""Scoring's KPI queries at a million stored responses: `python -m bench --only kpis [--pg [URL]]`
(or `python -m bench.kpis`).

Fills a scratch scoring database (a temporary SQLite file; with `--pg`, also a temporary
PostgreSQL schema) through scoring's own migrations, bulk-inserting straight into its
`responses` table, then times the query layer the API calls (services/scoring/kpis.py) with a
session: the whole population, one programme + touchpoint + month, one programme over the year,
the monthly series of everyone and the daily series of the last month.

The data is shaped like a live installation's: three programmes on different scales (one asks
CES and CSAT), eight touchpoints of unequal volume and quality, twelve months with a season and a
slowly improving trend, answers correlated through each customer's underlying feeling, 2% not
scored (an answer missing), a few responses without a touchpoint. Every row is scored by the
domain's own `assess`, so IECs, segments, NPS points, CES and CSAT are what scoring would store.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import create_engine

from shared.contracts.programs import DEFAULT_PROGRAM, ProgramDefinition
from shared.db import make_engine, make_sessionmaker, migrate
from shared.periods import Period
from shared.settings import Settings
from services.scoring import kpis as queries
from services.scoring.app import MIGRATIONS
from services.scoring.domain.assessment import Assessment, assess
from services.scoring.models import Response

DEFAULT_PG = os.environ.get("TEST_DATABASE_URL") or "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
RUNS = 20  # timed runs per query, after one untimed run
TARGET_P95_MS = 50  # issue 11: every KPI and series shape, at 10 M on PostgreSQL and 1 M on SQLite

PROGRAMS = {  # name: (definition, share of responses)
    "default": (DEFAULT_PROGRAM, 0.60),
    "retail": (
        ProgramDefinition(
            program="retail",
            questions=[
                {"key": "experience"},
                {"key": "worth"},
                {"key": "recommend", "scale": {"min": 0, "max": 10}},
                {"key": "ces", "scale": {"min": 1, "max": 7}, "weight": 0},
                {"key": "csat", "scale": {"min": 1, "max": 5}, "weight": 0},
            ],
        ),
        0.25,
    ),
    "b2b": (
        ProgramDefinition(
            program="b2b",
            questions=[
                {"key": "experience", "scale": {"min": 1, "max": 5}},
                {"key": "worth"},
                {"key": "recommend", "scale": {"min": 0, "max": 10}},
                {"key": "csat", "scale": {"min": 1, "max": 10}, "weight": 0},
            ],
        ),
        0.15,
    ),
}
TOUCHPOINTS = {  # name: (share of responses, how much better or worse it feels than average)
    "contact_center": (0.25, -0.4),
    "web": (0.20, -0.7),
    "support": (0.15, 0.2),
    "billing": (0.10, -1.1),
    "email": (0.10, 0.0),
    "chat": (0.10, 0.4),
    "sales": (0.06, 0.9),
    "social": (0.04, -0.2),
}
NO_TOUCHPOINT = 0.03
MISSING_ANSWER = 0.02
COMMENTED = 0.2
CUSTOMERS = 200_000
COLUMNS = (
    "response_id",
    "customer_id",
    "program",
    "program_version",
    "touchpoint",
    "submitted_at",
    "status",
    "iec",
    "segment",
    "reason",
    "recommend_0_10",
    "ces",
    "csat",
    "answers",
    "comment",
    "case_id",
    "scored_at",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("kpis", "scoring's KPI queries at scale")
    group.add_argument(
        "--kpi-responses",
        type=int,
        default=1_000_000,
        help="responses stored for the KPI timings on SQLite (default 1000000; 0 skips SQLite)",
    )
    group.add_argument(
        "--kpi-pg-responses",
        type=int,
        default=10_000_000,
        help="responses stored for the KPI timings on PostgreSQL, with --pg (default 10000000)",
    )
    group.add_argument(
        "--pg",
        nargs="?",
        const=DEFAULT_PG,
        default=None,
        metavar="URL",
        help=f"also time the KPIs on PostgreSQL (default URL {DEFAULT_PG})",
    )


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


# --- the data -------------------------------------------------------------------------------


def last_months(now: datetime, count: int = 12) -> list[datetime]:
    """The starts of the `count` whole months before `now`'s, oldest first."""
    out, at = [], datetime(now.year, now.month, 1, tzinfo=UTC)
    for _ in range(count):
        at = (at - timedelta(days=1)).replace(day=1)
        out.append(at)
    return out[::-1]


def _on(scale, feeling: float, rng: random.Random) -> float:
    """An answer on `scale` to a question felt at `feeling` (1–10), with a little noise."""
    value = scale.min + (scale.max - scale.min) * (feeling + rng.gauss(0, 0.8) - 1) / 9
    return float(min(scale.max, max(scale.min, round(value))))


def generate(n: int, months: list[datetime], seed: int = 42) -> Iterator[tuple]:
    """`n` stored responses in COLUMNS order (submitted_at and scored_at aware datetimes)."""
    rng = random.Random(seed)
    names, weights = list(PROGRAMS), [share for _, share in PROGRAMS.values()]
    tps, tp_weights = list(TOUCHPOINTS), [share for share, _ in TOUCHPOINTS.values()]
    season = [1.0 + 0.25 * ((m.month in (11, 12, 1)) - (m.month in (7, 8))) for m in months]
    ends = [*months[1:], (months[-1] + timedelta(days=32)).replace(day=1)]
    # Responses are stored about when they are submitted, so the table is in time order.
    moments = sorted(
        (m, start + (ends[m] - start) * rng.random())
        for m, start in ((m, months[m]) for m in rng.choices(range(len(months)), season, k=n))
    )
    cache: dict[tuple, Assessment] = {}
    scored_at = datetime.now(UTC)
    for i, (m, submitted) in enumerate(moments):
        name = rng.choices(names, weights)[0]
        program = PROGRAMS[name][0]
        touchpoint = None if rng.random() < NO_TOUCHPOINT else rng.choices(tps, tp_weights)[0]
        # The customer's underlying feeling: the touchpoint's quality, a slowly improving trend.
        feeling = rng.gauss(6.9 + (TOUCHPOINTS[touchpoint][1] if touchpoint else 0) + 0.06 * m, 1.9)
        answers = {q.key: _on(q.scale, feeling, rng) for q in program.questions}
        if rng.random() < MISSING_ANSWER:
            del answers["worth"]
        key = (name, *sorted(answers.items()))
        a = cache.get(key)
        if a is None:
            a = cache[key] = assess(name, program, answers)
        yield (
            f"r-{i}",
            f"C-{rng.randrange(CUSTOMERS)}",
            name,
            program.version,
            touchpoint,
            submitted,
            a.status,
            a.iec,
            a.segment,
            a.reason,
            a.recommend_0_10,
            a.ces,
            a.csat,
            orjson.dumps(answers).decode(),
            "Nadie me devolvió la llamada" if rng.random() < COMMENTED else None,
            None,
            scored_at,
        )


def _sqlite_time(value: datetime) -> str:
    # How SQLAlchemy stores a DateTime in SQLite (models.UtcDateTime: UTC, no offset).
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def fill_sqlite(path: Path, n: int, months: list[datetime]) -> None:
    """Insert with the table's indexes dropped and build them after: far faster than row by row."""
    indexes = list(Response.__table__.indexes)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        for index in indexes:
            db.execute(f'DROP INDEX "{index.name}"')
        at = (COLUMNS.index("submitted_at"), COLUMNS.index("scored_at"))
        rows = (tuple(_sqlite_time(v) if j in at else v for j, v in enumerate(row)) for row in generate(n, months))
        db.executemany(f"INSERT INTO responses ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)
        db.execute(day_tallies_sql("sqlite"))
        db.commit()
    finally:
        db.close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for index in indexes:
            index.create(conn)
    engine.dispose()


def day_tallies_sql(dialect: str) -> str:
    """The day tallies of the responses bulk-loaded behind scoring's back, computed as the
    migration that introduced them computes them for the responses already stored."""
    path = Path(MIGRATIONS) / "versions" / "0007_kpi_days.py"
    spec = importlib.util.spec_from_file_location("kpi_days_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fill_sql(dialect)


async def _connect(url: str, **kw):
    import asyncpg

    return await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), **kw)


async def fill_postgres(url: str, schema: str, n: int, months: list[datetime]) -> None:
    conn = await _connect(url, server_settings={"search_path": schema})
    try:
        indexes = list(Response.__table__.indexes)
        for index in indexes:
            await conn.execute(f'DROP INDEX "{index.name}"')
        rows, chunk = generate(n, months), []
        for row in rows:
            chunk.append(row)
            if len(chunk) == 100_000:
                await conn.copy_records_to_table("responses", records=chunk, columns=COLUMNS)
                chunk = []
        if chunk:
            await conn.copy_records_to_table("responses", records=chunk, columns=COLUMNS)
        for index in indexes:
            columns = ", ".join(f'"{c.name}"' for c in index.columns)
            await conn.execute(f'CREATE INDEX "{index.name}" ON responses ({columns})')
        await conn.execute(day_tallies_sql("postgresql"))
        await conn.execute("ANALYZE responses")  # what autovacuum would have done by now
        await conn.execute("ANALYZE kpi_days")
    finally:
        await conn.close()


# --- the timings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    route: str
    width: str | None = None  # a series' bucket; None: GET /v1/kpis
    program: str | None = None
    touchpoint: str | None = None
    period: Period = Period()


def cases(months: list[datetime]) -> list[Case]:
    last = months[-1]
    month = Period(last, (last + timedelta(days=32)).replace(day=1))
    return [
        Case("whole population", "/v1/kpis"),
        Case("retail + web + last month", "/v1/kpis", None, "retail", "web", month),
        Case("retail, 12 months", "/v1/kpis", None, "retail"),
        Case("monthly series, everyone (12)", "/v1/kpis/series", "month"),
        Case("daily series, last month", "/v1/kpis/series", "day", period=month),
    ]


async def time_queries(settings: Settings, months: list[datetime]) -> dict:
    engine = make_engine(settings, "scoring")
    sessions = make_sessionmaker(engine)
    out = {}
    try:
        for case in cases(months):

            async def once():
                async with sessions() as session:
                    if case.width:
                        return await queries.series(
                            session,
                            width=case.width,
                            program=case.program,
                            touchpoint=case.touchpoint,
                            period=case.period,
                        )
                    return await queries.kpis(
                        session, program=case.program, touchpoint=case.touchpoint, period=case.period
                    )

            body = await once()  # warms the page cache and the connection
            times = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                await once()
                times.append(time.perf_counter() - t0)
            counted = (
                sum(p["count"] + p["not_scored"] for p in body) if case.width else body["count"] + body["not_scored"]
            )
            ordered = sorted(times)
            out[case.name] = {
                "route": case.route,
                "median_ms": 1000 * statistics.median(times),
                "p95_ms": 1000 * ordered[max(0, -(-95 * len(ordered) // 100) - 1)],
                "min_ms": 1000 * min(times),
                "max_ms": 1000 * max(times),
                "runs": RUNS,
                "responses_counted": counted,
            }
    finally:
        await engine.dispose()
    return out


async def _bench_sqlite(n: int, months: list[datetime]) -> dict:
    with tempfile.TemporaryDirectory(prefix="lazo-bench-kpis-") as tmp:
        settings = Settings(var_dir=Path(tmp), database_url=None)
        await migrate(settings, "scoring", MIGRATIONS)
        say(f"KPIs on SQLite: storing {n:,} responses")
        t0 = time.perf_counter()
        fill_sqlite(Path(tmp) / "scoring.db", n, months)
        filled = time.perf_counter() - t0
        size = (Path(tmp) / "scoring.db").stat().st_size
        say(f"KPIs on SQLite: stored in {filled:.0f} s ({size / 2**20:,.0f} MiB); timing the queries")
        return {"fill_s": filled, "size_mib": size / 2**20, "queries": await time_queries(settings, months)}


async def _bench_postgres(url: str, n: int, months: list[datetime]) -> dict:
    settings = Settings(database_url=url, schema_prefix=f"bench{uuid.uuid4().hex[:6]}_")
    try:
        await migrate(settings, "scoring", MIGRATIONS)
        say(f"KPIs on PostgreSQL: storing {n:,} responses in schema {settings.schema_of('scoring')}")
        t0 = time.perf_counter()
        await fill_postgres(url, settings.schema_of("scoring"), n, months)
        filled = time.perf_counter() - t0
        say(f"KPIs on PostgreSQL: stored in {filled:.0f} s; timing the queries")
        return {"fill_s": filled, "queries": await time_queries(settings, months)}
    finally:
        conn = await _connect(url)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{settings.schema_of("scoring")}" CASCADE')
        finally:
            await conn.close()


def run(args: argparse.Namespace) -> dict:
    n = args.kpi_responses
    months = last_months(datetime.now(UTC))
    result = {"responses": n, "months": [m.strftime("%Y-%m") for m in (months[0], months[-1])]}
    if n:
        result["sqlite"] = {"responses": n, **asyncio.run(_bench_sqlite(n, months))}
    if args.pg:
        pg_n = args.kpi_pg_responses
        result["postgresql"] = {"responses": pg_n, **asyncio.run(_bench_postgres(args.pg, pg_n, months))}
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    return result


def render(result: dict) -> str:
    engines = [e for e in ("sqlite", "postgresql") if e in result]
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    rows = [
        (
            "query",
            "route",
            *[
                f"{label[e]} at {result[e].get('responses', result['responses']):,}: median / p95 (max) ms"
                for e in engines
            ],
            "target",
        )
    ]
    for name, q in result[engines[0]]["queries"].items():
        cells = []
        for e in engines:
            t = result[e]["queries"][name]
            verdict = "ok" if t["p95_ms"] <= TARGET_P95_MS else "MISSED"
            cells.append(f"{t['median_ms']:,.1f} / {t['p95_ms']:,.1f} ({t['max_ms']:,.0f}) {verdict}")
        rows.append((name, q["route"], *cells, f"p95 ≤ {TARGET_P95_MS} ms"))
    rows.append(
        (
            "filling the table",
            "(bulk load, then indexes and day tallies)",
            *[f"{result[e]['fill_s']:,.0f} s" for e in engines],
            "",
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    head = (
        f"KPI queries over stored responses "
        f"({result['months'][0]} to {result['months'][1]}), "
        f"through scoring's query layer; {RUNS} runs each after a warm-up"
    )
    out = [head, "", *lines]
    load, cpus = result.get("load_average_1m", 0), os.cpu_count() or 1
    if load > cpus:
        out.append(f"note: the machine was busy (load average {load:.1f} on {cpus} CPUs): these times are inflated")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kpis", description=__doc__.splitlines()[0])
    add_arguments(parser)
    result = run(parser.parse_args(argv))
    print()
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
