"""A batch's per-item results are what the broker acknowledged, item by item, when it takes some
and not others. The broker here is a stand-in that acknowledges the first messages and then stops
answering (or refuses one as too large): a partial failure that cannot be timed on a real one."""

from __future__ import annotations

from datetime import date

from aiokafka.errors import MessageSizeTooLargeError

from shared.events import decode, utcnow
from services.casework.service import accept_outcomes
from services.ingest.domain.programs import ProgramCatalog
from services.ingest.service import accept_batch


class PartialBroker:
    """Acknowledges the first `takes` messages; for the rest, `failure` (a timeout by default)."""

    def __init__(self, takes: int, failure: BaseException | None = None):
        self.takes = takes
        self.failure = failure or TimeoutError()
        self.acknowledged: list[bytes] = []

    async def publish_each(self, topic, messages):
        out = []
        for i, (value, _) in enumerate(messages):
            if i < self.takes:
                self.acknowledged.append(value)
                out.append(None)
            else:
                out.append(self.failure)
        return out


def response(i: int, **over) -> dict:
    return {
        "response_id": f"r-{i}",
        "customer": {"id": "C-1"},
        "answers": {"experience": 5, "worth": 5, "recommend": 5},
        **over,
    }


async def test_items_acknowledged_are_accepted_the_others_unavailable_with_retry_advice():
    broker = PartialBroker(takes=2)
    items = [response(0), response(1, answers={"experience": 0}), response(2), response(3), response(4)]
    results = [r.as_dict() for r in await accept_batch(broker, ProgramCatalog(), items)]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted", "unavailable", "unavailable"]
    assert [decode(v).id for v in broker.acknowledged] == ["r-0", "r-2"]
    assert all(
        r["retry_after"] > 0 and r["errors"][0]["field"] == f"responses[{r['index']}]"
        for r in results
        if r["status"] == "unavailable"
    )
    assert "retry_after" not in results[0] and results[1]["errors"][0]["field"] == "responses[1].answers.experience"


async def test_an_item_the_broker_can_never_take_is_rejected_not_unavailable():
    broker = PartialBroker(takes=1, failure=MessageSizeTooLargeError())
    results = await accept_batch(broker, ProgramCatalog(), [response(0), response(1)])
    assert [r.status for r in results] == ["accepted", "rejected"]
    assert results[1].errors[0]["field"] == "responses[1]"


async def test_outcome_batches_answer_per_item_the_same_way():
    broker = PartialBroker(takes=1)
    items = [
        {"customer_id": "C-1", "renewed": True, "date": "2026-01-01"},
        {"customer_id": "C-2", "renewed": True, "date": "1999-01-01"},
        {"customer_id": "C-3", "renewed": False, "date": "2026-01-02"},
    ]
    results = await accept_outcomes(broker, items, now=utcnow(), earliest=date(2000, 1, 1))
    assert [r.status for r in results] == ["accepted", "rejected", "unavailable"]
    assert results[1].errors[0]["field"] == "outcomes[1].date"
