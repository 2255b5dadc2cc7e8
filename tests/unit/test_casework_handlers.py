"""Casework's handlers and use cases in process: the real unit of work on a migrated SQLite file,
the outbox rows checked, no broker (a rule is tested in milliseconds)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from shared import db
from shared.bus import MessageBus
from shared.clock import FixedClock
from shared.contracts.alerts import AlertRaised
from shared.contracts.outcomes import OutcomeRecorded
from shared.contracts.scores import ScoreComputed
from shared.events import Envelope, EventType, decode, utcnow
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from shared.uow import UnitsOfWork
from services.casework import handlers, queries, service
from services.casework.app import MIGRATIONS, SERVICE
from services.casework.models import CaseRow, messaging, tombstones

NOW = utcnow()


@pytest.fixture
async def casework(tmp_path):
    settings = Settings(database_url=None, var_dir=tmp_path)
    await db.migrate(settings, SERVICE, MIGRATIONS)
    engine = db.make_engine(settings, SERVICE)
    uow = UnitsOfWork(db.make_sessionmaker(engine), messaging)
    guard = ErasureGuard(SERVICE, tombstones, CustomerDigest(["test"]))
    bus = MessageBus(uow, handlers.table(guard, FixedClock(NOW), earliest=date(2000, 1, 1)))
    yield uow, bus
    await engine.dispose()


def alert(n: int, customer: str, *, event_id: str | None = None) -> Envelope:
    data = AlertRaised(
        alert_id=f"a-{n}",
        customer_id=customer,
        program="default",
        response_id=f"r-{n}",
        iec=2.0,
        segment="nunca_mas",
        reasons=["comment"],
        raised_at=NOW - timedelta(minutes=1),
    )
    return Envelope.new(
        id=event_id or f"alert-{n}", type=EventType.ALERT_RAISED, source="/t", subject=customer, data=data
    )


def score(n: int, customer: str, iec: float = 9.0) -> Envelope:
    data = ScoreComputed(
        response_id=f"r-{n}", customer_id=customer, program="default", submitted_at=NOW, iec=iec, segment="wow"
    )
    return Envelope.new(id=f"score-{n}", type=EventType.SCORE_COMPUTED, source="/t", subject=customer, data=data)


async def published(uow: UnitsOfWork) -> list[tuple[str, str]]:
    async with uow.read() as session:
        rows = (await session.scalars(select(messaging.outbox.value).order_by(messaging.outbox.id))).all()
    return [(e.type, e.data["status"]) for e in map(decode, rows)]


async def cases(uow: UnitsOfWork, customer: str) -> list[CaseRow]:
    async with uow.read() as session:
        return (await queries.list_cases(session, queries.CaseQuery(customer_id=customer), NOW))[1]


async def test_a_batch_of_alerts_opens_one_case_per_customer_once(casework):
    uow, bus = casework
    batch = [alert(1, "C-1"), alert(2, "C-2"), alert(3, "C-1"), alert(1, "C-1", event_id="alert-1-again")]
    await bus.handle(batch)
    await bus.handle(batch)  # redelivered
    assert await published(uow) == [(EventType.CASE_OPENED, "open")] * 2
    [c1] = await cases(uow, "C-1")
    async with uow.read() as session:
        assert [a.alert_id for a in await queries.alerts_of(session, c1.case_id)] == ["a-1", "a-3"]
        assert [t.kind for t in await queries.timeline_of(session, c1.case_id)] == ["opened", "alert_added"]
        assert await session.scalar(select(func.count()).select_from(CaseRow)) == 2


async def test_a_follow_up_closes_a_responded_case_and_other_scores_touch_nothing(casework):
    uow, bus = casework
    await bus.handle([alert(1, "C-1")])
    [case] = await cases(uow, "C-1")
    for to, cause in (("contacted", "billing"), ("analysing", None), ("responded", None)):
        await service.transition(uow, case.case_id, to=to, cause=cause, by="agent", now=NOW - timedelta(seconds=30))
    before = len(await published(uow))
    await bus.handle([score(7, "C-9"), score(8, "C-1", iec=8.0), score(9, "C-1")])
    assert (await published(uow))[before:] == [(EventType.CASE_CLOSED, "closed")]
    [closed] = await cases(uow, "C-1")
    assert (closed.status, closed.current_feeling) == ("closed", 8.0)


async def test_outcomes_apply_in_arrival_order_even_redelivered(casework):
    uow, bus = casework

    def outcome(renewed: bool) -> Envelope:
        data = OutcomeRecorded(customer_id="C-5", program="default", renewed=renewed, date=NOW.date())
        return service.outcome_event(data, now=NOW)

    a, b = outcome(True), outcome(False)
    for event in (a, b, a):
        await bus.handle([event])
    async with uow.read() as session:
        [row] = await queries.outcomes_of(session, "C-5")
    assert (row.renewed, row.event_id) == (True, a.id)
