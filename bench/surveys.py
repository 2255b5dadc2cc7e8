"""The survey planner planning a month: `python -m bench --only surveys [--contacts N] [--pg]`.

On a scratch database of its own (SQLite, or a schema of its own on PostgreSQL with --pg, dropped
at the end): N contacts spread over four time zones (default 1,000,000; loaded, not timed), a
monthly plan with no daily cap, and one planner round on the 1st of the month, which plans the
whole month (an invitation per contact, each due at its own moment). Then the round of the next
day, which finds the day's invitations due. Target: the month planned in ≤ 60 s, memory flat
(contacts are streamed in chunks: the peak resident memory must not grow with N).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import func, insert, select, text

from shared import db
from shared.clock import FixedClock
from shared.settings import Settings
from shared.uow import UnitsOfWork
from services.surveys.app import MIGRATIONS
from services.surveys.domain.plans import SurveyPlan
from services.surveys.domain.tokens import TokenKeys
from services.surveys.models import ContactRow, InvitationRow, PlanRow, messaging
from services.surveys.planner import Planner

TARGET_S = 60.0
ZONES = ("Europe/Madrid", "America/Santiago", "America/Mexico_City", "UTC")
LOAD_CHUNK = 20_000
START = datetime(2027, 3, 1, 6, tzinfo=UTC)  # March 1st in every zone above


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--contacts", type=int, default=1_000_000, help="contacts the planner plans a month for (default 1000000)"
    )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _load(sessions, n: int) -> None:
    now = datetime.now(UTC)
    for start in range(0, n, LOAD_CHUNK):
        rows = [
            {
                "customer_id": f"C{i:08d}",
                "email": f"c{i}@example.com",
                "name": None,
                "locale": "es",
                "time_zone": ZONES[i % len(ZONES)],
                "consent": "email,event_only,webhook",
                "customer_since": None,
                "next_renewal": None,
                "attributes": {},
                "unsubscribed_at": None,
                "bounced": "",
                "updated_at": now,
            }
            for i in range(start, min(start + LOAD_CHUNK, n))
        ]
        async with db.transaction(sessions) as session:
            await session.execute(insert(ContactRow), rows)


async def _bench(n: int, pg: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="lazo-bench-surveys-") as tmp:
        prefix = f"b{uuid.uuid4().hex[:8]}_"
        settings = Settings(_env_file=None, var_dir=tmp, DATABASE_URL=pg, schema_prefix=prefix, planner_every_s=3600)
        await db.migrate(settings, "surveys", MIGRATIONS)
        engine = db.make_engine(settings, "surveys")
        try:
            sessions = db.make_sessionmaker(engine)
            t = time.perf_counter()
            await _load(sessions, n)
            load_s = time.perf_counter() - t
            plan = SurveyPlan(
                program="bench", link_template="https://forms.example.com/s?t={token}", channel="event_only"
            )
            async with db.transaction(sessions) as session:
                session.add(
                    PlanRow(
                        program=plan.program, plan=plan.model_dump(mode="json"), updated_at=START, updated_by="bench"
                    )
                )
            clock = FixedClock(START)
            runtime = SimpleNamespace(uow=UnitsOfWork(sessions, messaging), settings=settings, clock=clock)
            planner = Planner(runtime, TokenKeys(["bench-token-key-" + "0" * 32]))
            rss_before = _rss_mb()
            t, cpu = time.perf_counter(), time.process_time()
            month = await planner.round()
            plan_s, plan_cpu_s = time.perf_counter() - t, time.process_time() - cpu
            rss_after = _rss_mb()
            clock.set(datetime(2027, 3, 2, 6, tzinfo=UTC))
            t = time.perf_counter()
            day = await planner.round()
            day_s = time.perf_counter() - t
            async with sessions() as session:
                invitations = await session.scalar(select(func.count()).select_from(InvitationRow))
        finally:
            if pg:
                async with engine.begin() as conn:
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{prefix}surveys" CASCADE'))
            await engine.dispose()
    return {
        "contacts": n,
        "load_s": round(load_s, 1),
        "plan_month_s": round(plan_s, 1),
        "plan_month_cpu_s": round(plan_cpu_s, 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "planned": month.get("planned", 0),
        "invitations": invitations,
        "contacts_per_s": round(n / plan_s) if plan_s else None,
        "next_day_round_s": round(day_s, 1),
        "due_next_day": day.get("due", 0),
        "peak_rss_mb_before_planning": round(rss_before),
        "peak_rss_mb_after_planning": round(rss_after),
        "target_s": TARGET_S,
        "met": plan_s <= TARGET_S,
    }


def run(args: argparse.Namespace) -> dict:
    return asyncio.run(_bench(args.contacts, args.pg))


def render(result: dict) -> str:
    r = result
    return "\n".join(
        [
            f"survey planner: a month for {r['contacts']:,} contacts",
            f"  planned in {r['plan_month_s']} s ({r['contacts_per_s']:,} contacts/s; target ≤ {r['target_s']:.0f} s: "
            f"{'met' if r['met'] else 'NOT met'}); {r['invitations']:,} invitations",
            f"  CPU: {r['plan_month_cpu_s']} s of this process (database thread included); load average "
            f"{r['load_average_1m']} (a busy machine stretches the wall time, not the CPU time)",
            f"  next day's round: {r['next_day_round_s']} s, {r['due_next_day']:,} due",
            f"  peak memory: {r['peak_rss_mb_before_planning']} MB before planning, "
            f"{r['peak_rss_mb_after_planning']} MB after (contacts loaded in {r['load_s']} s, not timed)",
        ]
    )


if __name__ == "__main__":
    import sys

    parser = argparse.ArgumentParser(prog="python -m bench.surveys")
    add_arguments(parser)
    parser.add_argument("--pg", nargs="?", const="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    print(render(run(parser.parse_args(sys.argv[1:]))))
