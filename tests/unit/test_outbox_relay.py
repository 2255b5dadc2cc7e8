"""The outbox relay's decisions against a broker that refuses the way Kafka does, which the
embedded broker never does (it takes records of any size): a whole produce batch refused for one
record, an error aiokafka does not know, an outage. A real SQLite outbox; a scripted broker."""

from __future__ import annotations

import orjson
import pytest
from aiokafka import errors as kafka
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase

from shared import db
from shared.deadletters import DeadLetters, dead_letter_table
from shared.errors import Unavailable
from shared.events import Envelope, Topic
from shared.messaging import Messaging, messaging_tables
from shared.outbox import UNCLEAR_ATTEMPTS, OutboxRelay
from shared.publishing import refusal


class Base(DeclarativeBase):
    pass


Inbox, Outbox = messaging_tables(Base)
DeadLetter = dead_letter_table(Base)
messaging = Messaging(Inbox, Outbox, DeadLetter)
LIMIT = 64 * 1024


class ScriptedBroker:
    """Takes everything except the events `refuse` names: a batch (more than one event) holding
    one of them is refused whole, as Kafka refuses a produce batch; alone, it is refused with
    `refuse[id]`. `away`: everything fails with a timeout. Remembers what it took, in order."""

    def __init__(self):
        self.refuse: dict[str, BaseException] = {}
        self.away = False
        self.taken: list[str] = []
        self.max_event_bytes = LIMIT

    def refusal(self, topic, key, value):
        return refusal(topic, key, value, LIMIT)

    async def deliver(self, messages):
        if self.away:
            raise Unavailable("the event broker did not acknowledge in time")
        ids = [orjson.loads(value)["id"] for _, _, value in messages]
        culprits = [i for i in ids if i in self.refuse]
        if culprits and len(ids) > 1:
            return [kafka.MessageSizeTooLargeError() for _ in ids]
        if culprits:
            return [self.refuse[culprits[0]]]
        self.taken += ids
        return [None] * len(ids)


@pytest.fixture
async def outbox(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'relay.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = db.make_sessionmaker(engine)
    broker = ScriptedBroker()
    relay = OutboxRelay(sessions, Outbox, broker, service="test", dead_letters=DeadLetters(DeadLetter))

    async def write(*ids: str, topic: str = Topic.SCORES) -> None:
        async with db.transaction(sessions) as session:
            for ident in ids:
                messaging.add(
                    session,
                    topic,
                    Envelope.new(
                        id=ident, type="lazo.score.computed", source="/t", subject=f"C-{ident[-1]}", data={"n": ident}
                    ),
                )

    async def write_raw(row) -> None:
        async with db.transaction(sessions) as session:
            session.add(row)

    async def remaining() -> list[str]:
        async with sessions() as session:
            return [
                orjson.loads(v)["id"] for v in (await session.scalars(select(Outbox.value).order_by(Outbox.id))).all()
            ]

    async def letters() -> list:
        async with sessions() as session:
            return list((await session.scalars(select(DeadLetter))).all())

    yield relay, broker, write, remaining, letters, write_raw
    await engine.dispose()


async def test_one_record_refusing_its_batch_is_set_aside_and_the_rest_go_out_in_order(outbox):
    relay, broker, write, remaining, letters, *_ = outbox
    await write("e1", "e2", "bad3", "e4", "e5")
    broker.refuse["bad3"] = kafka.MessageSizeTooLargeError()
    assert await relay.relay_once() == 5
    assert broker.taken == ["e1", "e2", "e4", "e5"]
    [letter] = await letters()
    assert (letter.kind, letter.status, letter.event_id, letter.error_class) == (
        "outbox",
        "pending",
        "bad3",
        "MessageSizeTooLargeError",
    )
    assert orjson.loads(letter.original)["id"] == "bad3" and letter.key == b"C-3"
    # Only its dead-letter event is left, and it goes out next.
    assert await remaining() == [f"outbox/test/{letter.id}"]
    assert await relay.relay_once() == 1 and broker.taken[-1] == f"outbox/test/{letter.id}"
    assert relay.set_aside == 1 and relay.published == 5


async def test_a_row_over_the_limit_is_never_sent(outbox):
    relay, broker, write, remaining, letters, write_raw = outbox
    await write("e1")
    await write_raw(Outbox(topic=Topic.SCORES, key=b"C-9", value=orjson.dumps({"id": "huge9", "data": "x" * LIMIT})))
    await write("e2")
    assert await relay.relay_once() == 3
    assert broker.taken[:2] == ["e1", "e2"]
    [letter] = await letters()
    assert letter.event_id == "huge9" and str(LIMIT) in letter.error


async def test_a_broker_away_keeps_every_row(outbox):
    relay, broker, write, remaining, letters, *_ = outbox
    await write("e1", "e2")
    broker.away = True
    with pytest.raises(Unavailable):
        await relay.relay_once()
    assert await remaining() == ["e1", "e2"] and await letters() == []
    broker.away = False
    assert await relay.relay_once() == 2 and broker.taken == ["e1", "e2"] and await remaining() == []


async def test_an_unknown_topic_is_the_deployments_fault_and_keeps_the_rows(outbox):
    relay, broker, write, remaining, letters, *_ = outbox
    await write("e1", "e2")
    broker.refuse["e1"] = kafka.UnknownTopicOrPartitionError()
    for _ in range(UNCLEAR_ATTEMPTS + 1):
        with pytest.raises(Unavailable):
            await relay.relay_once()
    assert await remaining() == ["e1", "e2"] and await letters() == []


async def test_an_unclear_refusal_is_set_aside_only_when_it_keeps_failing_alone(outbox):
    relay, broker, write, remaining, letters, *_ = outbox
    await write("e1", "odd2", "e3")
    broker.refuse["odd2"] = kafka.UnknownError()  # e.g. INVALID_RECORD, a code aiokafka does not know
    for _ in range(UNCLEAR_ATTEMPTS - 1):
        with pytest.raises(Unavailable):
            await relay.relay_once()
        assert await letters() == []
    assert await relay.relay_once() == 3
    [letter] = await letters()
    assert letter.event_id == "odd2" and letter.error_class == "UnknownError"
    assert "e3" in broker.taken and "odd2" not in broker.taken


async def test_erasure_drops_a_customers_dead_letters_originals(outbox):
    relay, broker, write, remaining, letters, *_ = outbox
    await write("bad1", "ok2")
    broker.refuse["bad1"] = kafka.MessageSizeTooLargeError()
    await relay.relay_once()
    async with db.transaction(relay._sessions) as session:
        assert await DeadLetters(DeadLetter).erase(session, "C-1") == 1
        assert await DeadLetters(DeadLetter).erase(session, "C-2") == 0
    [letter] = await letters()
    assert letter.original is None and letter.key is None and letter.event_id == "bad1"
