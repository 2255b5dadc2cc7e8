"""Casework's drain rate, in process: how fast it opens cases from a backlog of alerts.

`python -m bench.casework [--alerts N] [--batch 500] [--pg URL]`

The backlog is what casework finds after a burst: for every response a `lazo.score.computed`
(casework reads them all, for follow-ups) and, for a third of them, a detractor alert. It is
handed to casework's own handler table (services/casework/handlers.py) through the message bus,
in batches as the consumer reads them (a partition's records together), against a freshly
migrated database. No broker, no HTTP: this is casework's ceiling, the figure to hold against
the alerts arriving (at 500 responses/s, ~170 alerts/s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from shared import db
from shared.bus import MessageBus
from shared.clock import SystemClock
from shared.contracts.alerts import AlertRaised
from shared.contracts.scores import CustomerContact, ScoreComputed
from shared.events import Envelope, EventType, utcnow
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from shared.uow import UnitsOfWork
from services.casework import handlers
from services.casework.app import MIGRATIONS, SERVICE
from services.casework.models import CaseRow, messaging, tombstones

DETRACTOR_EVERY = 3


def backlog(alerts: int) -> list[Envelope]:
    now = utcnow() - timedelta(minutes=5)
    events: list[Envelope] = []
    for n in range(alerts * DETRACTOR_EVERY):
        customer, response = f"C-{n}", f"r-{n}"
        detractor = n % DETRACTOR_EVERY == 0
        iec = 2.5 if detractor else 8.5
        events.append(
            Envelope.new(
                id=f"score:{response}",
                type=EventType.SCORE_COMPUTED,
                source="/bench",
                subject=customer,
                data=ScoreComputed(
                    response_id=response,
                    customer_id=customer,
                    program="default",
                    submitted_at=now,
                    iec=iec,
                    segment="nunca_mas" if detractor else "wow",
                    answers={"experience": iec},
                ),
            )
        )
        if detractor:
            events.append(
                Envelope.new(
                    id=f"alert:{response}",
                    type=EventType.ALERT_RAISED,
                    source="/bench",
                    subject=customer,
                    data=AlertRaised(
                        alert_id=f"a-{response}",
                        customer_id=customer,
                        program="default",
                        customer=CustomerContact(email=f"{customer}@example.com", name="Ana"),
                        response_id=response,
                        iec=iec,
                        segment="nunca_mas",
                        reasons=["comment"],
                        comment="Nadie me devolvió la llamada",
                        touchpoint="web",
                        raised_at=now,
                    ),
                )
            )
    return events


def batches(events: list[Envelope], size: int) -> list[list[Envelope]]:
    """As the consumer reads a backlog: each batch one topic's records (a partition's run), the
    topics taken in turn as far as the stream has got."""
    scores = [e for e in events if e.type == EventType.SCORE_COMPUTED]
    alerts = [e for e in events if e.type != EventType.SCORE_COMPUTED]
    chunks = [(n * DETRACTOR_EVERY, scores[n : n + size]) for n in range(0, len(scores), size)]
    chunks += [(n * DETRACTOR_EVERY**2, alerts[n : n + size]) for n in range(0, len(alerts), size)]
    return [chunk for _, chunk in sorted(chunks, key=lambda c: c[0])]


async def run(alerts: int, size: int, database_url: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=database_url, var_dir=Path(tmp))
        await db.migrate(settings, SERVICE, MIGRATIONS)
        engine = db.make_engine(settings, SERVICE)
        try:
            uow = UnitsOfWork(db.make_sessionmaker(engine), messaging)
            guard = ErasureGuard(SERVICE, tombstones, CustomerDigest(["bench"]))
            bus = MessageBus(uow, handlers.table(guard, SystemClock(), earliest=settings.submitted_at_earliest))
            work = batches(backlog(alerts), size)
            started, cpu = time.perf_counter(), time.process_time()
            for batch in work:
                await bus.handle(batch)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            async with uow.read() as session:
                opened = await session.scalar(select(func.count()).select_from(CaseRow))
                outbox = await session.scalar(select(func.count()).select_from(messaging.outbox))
            if db.is_postgres(engine):
                async with engine.begin() as conn:
                    await conn.execute(text(f'DROP SCHEMA "{settings.schema_of(SERVICE)}" CASCADE'))
        finally:
            await engine.dispose()
    assert opened == alerts and outbox == alerts, f"{opened} cases and {outbox} events for {alerts} alerts"
    return {
        "alerts": alerts,
        "events": sum(map(len, work)),
        "seconds": elapsed,
        "cases_per_s": opened / elapsed,
        "cases_per_cpu_s": opened / cpu,
    }


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.casework", description=__doc__.splitlines()[0])
    p.add_argument("--alerts", type=int, default=13_360, help="detractor alerts in the backlog (default 13360)")
    p.add_argument("--batch", type=int, default=500, help="records per consumed batch (the consumer's default)")
    p.add_argument("--pg", metavar="URL", help="PostgreSQL instead of SQLite (a schema of its own, dropped)")
    args = p.parse_args()
    r = asyncio.run(run(args.alerts, args.batch, args.pg))
    print(
        f"casework drained {r['alerts']:,} alerts among {r['events']:,} events in {r['seconds']:.2f} s: "
        f"{r['cases_per_s']:,.0f} cases opened/s (target ≥ 2,000/s); {r['cases_per_cpu_s']:,.0f} per second of "
        f"this process's CPU (what a busy machine does not change; SQLite's work included, PostgreSQL's not); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
