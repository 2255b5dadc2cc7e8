"""Alerts' score handler and use cases in process: the real unit of work on a migrated SQLite file,
the outbox and delivery rows checked, no broker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shared import db
from shared.bus import MessageBus
from shared.clock import FixedClock
from shared.contracts.erasure import CustomerErasureRequested
from shared.contracts.scores import ScoreComputed
from shared.events import Envelope, EventType, decode, utcnow
from shared.sealing import SecretBox
from shared.settings import Settings
from shared.tombstones import CustomerDigest, ErasureGuard
from shared.uow import UnitsOfWork
from services.alerts import handlers, service
from services.alerts.app import MIGRATIONS, SERVICE
from services.alerts.models import Alert, Delivery, messaging, tombstones

NOW = utcnow()


@pytest.fixture
async def alerts(tmp_path):
    settings = Settings(database_url=None, var_dir=tmp_path)
    await db.migrate(settings, SERVICE, MIGRATIONS)
    engine = db.make_engine(settings, SERVICE)
    uow = UnitsOfWork(db.make_sessionmaker(engine), messaging)
    guard = ErasureGuard(SERVICE, tombstones, CustomerDigest(["test"]))
    woken: list[str] = []
    bus = MessageBus(
        uow,
        {
            **handlers.table(
                guard,
                FixedClock(NOW),
                dashboard_url="https://lazo.example.com/",
                pushes_due=lambda: woken.append("dispatcher"),
            ),
            **handlers.erasure_table(guard),
        },
    )
    yield uow, bus, woken, SecretBox.from_settings(settings)
    await engine.dispose()


def score(n: int, customer: str, iec: float, comment: str | None = None, *, event_id: str | None = None) -> Envelope:
    data = ScoreComputed(
        response_id=f"r-{n}",
        customer_id=customer,
        program="default",
        iec=iec,
        comment=comment,
        segment="nunca_mas" if iec <= 6 else "wow",
        submitted_at=NOW - timedelta(minutes=n),
    )
    return Envelope.new(
        id=event_id or f"score-{n}", type=EventType.SCORE_COMPUTED, source="/t", subject=customer, data=data
    )


async def count(uow: UnitsOfWork, model) -> int:
    async with uow.read() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_a_detractor_raises_one_alert_and_its_pushes_once(alerts):
    uow, bus, woken, box = alerts
    await service.subscribe(
        uow,
        box,
        url="https://cc.example.com/lazo",
        secret="s" * 20,
        event_types=[EventType.ALERT_RAISED],
        programs=None,
        who="test",
    )
    batch = [score(1, "C-1", 3.0), score(2, "C-2", 9.5), score(1, "C-1", 3.0, event_id="score-1-again")]
    await bus.handle(batch)
    await bus.handle(batch)  # redelivered
    async with uow.read() as session:
        [event] = [decode(v) for v in (await session.scalars(select(messaging.outbox.value))).all()]
    assert (event.type, event.data["customer_id"], event.data["response_id"]) == (EventType.ALERT_RAISED, "C-1", "r-1")
    assert await count(uow, Alert) == 1 and await count(uow, Delivery) == 1
    assert woken == ["dispatcher"]  # told once, after the commit that wrote the delivery


async def test_the_score_of_an_erased_customer_raises_nothing(alerts):
    uow, bus, woken, _ = alerts
    request = CustomerErasureRequested(erasure_id="e-1", customer_id="C-3", requested_at=NOW, requested_by="test")
    await bus.handle(
        [
            Envelope.new(
                id="erase-1", type=EventType.CUSTOMER_ERASURE_REQUESTED, source="/t", subject="C-3", data=request
            )
        ]
    )
    await bus.handle([score(3, "C-3", 2.0, "terrible")])
    assert await count(uow, Alert) == 0
    async with uow.read() as session:
        types = [decode(v).type for v in (await session.scalars(select(messaging.outbox.value))).all()]
    assert types == [EventType.CUSTOMER_ERASED]
