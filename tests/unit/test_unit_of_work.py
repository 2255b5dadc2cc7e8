"""The unit of work and the message bus, in-process on SQLite (no broker)."""

from __future__ import annotations

import pytest
from sqlalchemy import String, func, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.bus import MessageBus, every_delivery
from shared.db import make_sessionmaker
from shared.events import Envelope, EventType, Topic
from shared.messaging import Messaging, messaging_tables
from shared.uow import UnitsOfWork


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "note"
    id: Mapped[str] = mapped_column(String(50), primary_key=True)


Inbox, Outbox = messaging_tables(Base)


@pytest.fixture
async def uow(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'uow.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield UnitsOfWork(make_sessionmaker(engine), Messaging(Inbox, Outbox))
    await engine.dispose()


def event(id_: str, type_: str = EventType.SCORE_COMPUTED) -> Envelope:
    return Envelope.new(id=id_, type=type_, source="/test", subject="C-1", data={"n": id_})


async def count(uow: UnitsOfWork, model) -> int:
    async with uow.read() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_commit_publishes_and_wakes_only_after_commit(uow):
    woken: list[str] = []
    uow.on_publish(lambda: woken.append("relay"))
    async with uow() as tx:
        tx.session.add(Note(id="a"))
        tx.publish(Topic.CASES, event("e1"))
        tx.after_commit(lambda: woken.append("worker"))
        assert woken == []
    assert woken == ["relay", "worker"]
    assert await count(uow, Outbox) == 1 and await count(uow, Note) == 1


async def test_rollback_writes_nothing_and_wakes_nobody(uow):
    woken: list[str] = []
    uow.on_publish(lambda: woken.append("relay"))
    with pytest.raises(RuntimeError):
        async with uow() as tx:
            tx.session.add(Note(id="b"))
            tx.publish(Topic.CASES, event("e2"))
            raise RuntimeError("boom")
    assert woken == [] and await count(uow, Outbox) == 0 and await count(uow, Note) == 0


async def test_a_unit_that_publishes_nothing_does_not_wake_the_relay(uow):
    woken: list[str] = []
    uow.on_publish(lambda: woken.append("relay"))
    async with uow() as tx:
        tx.session.add(Note(id="c"))
    assert woken == []


async def test_bus_skips_seen_and_foreign_events_and_keeps_order(uow):
    calls: list[tuple[str, list[str]]] = []

    async def on_score(tx, events):
        calls.append(("score", [e.id for e in events]))

    async def on_alert(tx, events):
        calls.append(("alert", [e.id for e in events]))

    bus = MessageBus(uow, {EventType.SCORE_COMPUTED: on_score, EventType.ALERT_RAISED: on_alert})
    assert bus.topics == sorted([Topic.ALERTS, Topic.SCORES])
    batch = [
        event("s1"),
        event("s2"),
        event("a1", EventType.ALERT_RAISED),
        event("s3"),
        event("x1", EventType.CASE_OPENED),
        event("s1"),
    ]
    await bus.handle(batch)
    assert calls == [("score", ["s1", "s2"]), ("alert", ["a1"]), ("score", ["s3"])]
    calls.clear()
    await bus.handle(batch)  # redelivered: every event was applied already
    assert calls == []
    assert await count(uow, Inbox) == 4


async def test_a_failing_handler_rolls_back_the_whole_batch(uow):
    async def fails(tx, events):
        tx.session.add(Note(id="never"))
        raise ValueError("bug")

    bus = MessageBus(uow, {EventType.SCORE_COMPUTED: fails})
    with pytest.raises(ValueError):
        await bus.handle([event("f1")])
    assert await count(uow, Inbox) == 0 and await count(uow, Note) == 0


async def test_an_every_delivery_handler_gets_redelivered_events_too_and_knows_the_new_ones(uow):
    calls: list[list[tuple[str, bool]]] = []

    @every_delivery
    async def on_outcome(tx, events):
        calls.append([(e.id, tx.is_new(e)) for e in events])

    async def on_score(tx, events):
        calls.append([(e.id, tx.is_new(e)) for e in events])

    bus = MessageBus(uow, {EventType.OUTCOME_RECORDED: on_outcome, EventType.SCORE_COMPUTED: on_score})
    await bus.handle([event("A", EventType.OUTCOME_RECORDED), event("s1")])
    await bus.handle([event("B", EventType.OUTCOME_RECORDED), event("A", EventType.OUTCOME_RECORDED), event("s1")])
    assert calls == [[("A", True)], [("s1", True)], [("B", True), ("A", False)]]
    assert await count(uow, Inbox) == 3


async def test_concurrent_writes_share_commits_and_a_failing_one_fails_alone(uow):
    from sqlalchemy.exc import IntegrityError

    from shared.group_commit import GroupCommit

    commits: list[int] = []
    uow.on_publish(lambda: commits.append(1))
    prepared: list[int] = []

    async def prepare(tx) -> None:
        prepared.append(1)

    group = GroupCommit(uow, prepare=prepare)

    def write(note_id: str):
        async def work(tx):
            tx.session.add(Note(id=note_id))
            tx.publish(Topic.CASES, event(f"e-{note_id}"))
            await tx.session.flush()
            return note_id

        return work

    import asyncio

    ids = [f"n{i}" for i in range(50)]
    assert await asyncio.gather(*(group.write(write(i)) for i in ids)) == ids  # each gets its own result
    assert await count(uow, Note) == 50 and await count(uow, Outbox) == 50
    assert len(commits) < 10  # fifty writes queued together went in a few units of work, not fifty

    commits.clear()
    results = await asyncio.gather(*(group.write(write(i)) for i in ["m1", "n7", "m2"]), return_exceptions=True)
    assert results[0] == "m1" and results[2] == "m2"
    assert isinstance(results[1], IntegrityError)  # the duplicate fails alone; the others committed
    assert await count(uow, Note) == 52 and await count(uow, Outbox) == 52
    assert len(prepared) >= len(commits) >= 2
