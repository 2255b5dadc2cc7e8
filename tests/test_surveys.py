"""The survey planner through HTTP and Kafka: contacts, plans, a month planned across time zones
and a DST change on a manual clock, contact rules with their reasons, the case follow-up that
closes the loop (answered, or expired and told to the case), the sending tool's reports,
one-click unsubscribe, two replicas, and the figures.

Only surveys runs (with the broker): casework's and scoring's events are produced here as they
would be. The clock is manual (LAZO_SURVEYS_CLOCK=manual): each test sets it, so months pass in
seconds. Plans are removed when a test ends; each test's contacts carry its own prefix.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from shared.contracts.cases import CaseEvent
from shared.events import Envelope, EventType, Topic
from tests.harness import System
from tests.support import Tap, raw_producer
from services.surveys.domain.tokens import TokenKeys, verify

TOKEN_KEY = "surveys-test-token-key-0123456789abcdef"
UTC = timezone.utc


@pytest.fixture(scope="module")
def surveys(tmp_path_factory):
    sys_ = System(tmp_path_factory.mktemp("surveys"), services=("surveys",),
                  extra_env={"LAZO_SURVEYS_CLOCK": "manual", "LAZO_PLANNER_EVERY_S": "3600",
                             "LAZO_SURVEY_TOKEN_KEYS": TOKEN_KEY,
                             "LAZO_SURVEYS_PUBLIC_URL": "https://surveys.test"})
    yield sys_
    sys_.close()


@pytest.fixture
async def api(surveys):
    async with surveys.client("surveys", "manager") as client:
        yield client


@pytest.fixture
async def tap(surveys):
    taps: list[Tap] = []

    async def _open(*topics: str) -> Tap:
        taps.append(t := await Tap(surveys.broker.bootstrap, *topics).start())
        return t

    yield _open
    for t in taps:
        await t.stop()


@pytest.fixture
async def produce(surveys):
    producer = await raw_producer(surveys.broker.bootstrap)

    async def _send(topic: str, envelope: Envelope) -> None:
        await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key)

    yield _send
    await producer.stop()


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:8]


class Plan:
    """A plan for the test's own programme, removed when the test ends."""

    def __init__(self, api, program: str):
        self.api, self.program = api, program

    async def put(self, **fields) -> dict:
        body = {"link_template": "https://forms.example.com/s?t={token}&case={case_id}", **fields}
        r = await self.api.put(f"/v1/programs/{self.program}/survey-plan", json=body)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
async def plans(api):
    made: list[str] = []

    async def _make(program: str, **fields) -> Plan:
        plan = Plan(api, program)
        await plan.put(**fields)
        made.append(program)
        return plan

    yield _make
    for program in made:
        await api.delete(f"/v1/programs/{program}/survey-plan")


async def at(api, moment: datetime) -> dict:
    """Move the clock to `moment` and run a round there."""
    r = await api.put("/v1/clock", json={"now": moment.isoformat()})
    assert r.status_code == 200, r.text
    r = await api.post("/v1/planner/runs")
    assert r.status_code == 200, r.text
    return r.json()


async def invitations(api, **query) -> list[dict]:
    items, offset = [], 0
    while True:
        r = await api.get("/v1/invitations", params={**query, "limit": 500, "offset": offset})
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        offset += len(page["items"])
        if offset >= page["total"] or not page["items"]:
            return items


def case_event(kind: str, case_id: str, customer_id: str, program: str, status: str, seq: int) -> Envelope:
    data = CaseEvent(case_id=case_id, customer_id=customer_id, program=program, status=status,
                     at=datetime.now(UTC))
    return Envelope.new(id=f"case:{case_id}:{seq}", type=kind, source="/lazo/casework", subject=customer_id,
                        data=data)


# -- input ---------------------------------------------------------------------------------------

async def test_contacts_csv_and_plans_refuse_what_is_broken_naming_the_field(api, uid):
    r = await api.post("/v1/contacts", json={"customer_id": f"{uid}-1", "email": "not-an-address"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "email", r.text

    r = await api.post("/v1/contacts:batch", json={"contacts": [
        {"customer_id": f"{uid}-1", "email": "ana@example.com", "time_zone": "europe/madrid"},
        {"customer_id": f"{uid}-2", "time_zone": "Mars/Olympus"},
        {"customer_id": f"{uid}-3", "locale": "English"}]})
    assert r.status_code == 200, r.text
    batch = r.json()
    assert (batch["upserted"], batch["rejected"]) == (2, 1)
    assert batch["items"][1]["status"] == "rejected"
    assert batch["items"][1]["errors"][0]["field"] == "contacts[1].time_zone"
    r = await api.get(f"/v1/contacts/{uid}-1")
    assert r.json()["time_zone"] == "Europe/Madrid" and r.json()["email"] == "ana@example.com"

    csv = (f"id;correo;idioma;zona_horaria;plan\n"
           f"{uid}-10;luis@example.com;es;America/Santiago;pro\n"
           f"{uid}-11;broken@;en;UTC;basic\n"
           f"{uid}-12;eva@example.com;fr;UTC;basic\n"
           f"{uid}-13;;en;Asia/Tokyo;basic\n")
    r = await api.post("/v1/contacts:import", content=csv.encode(), headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["imported"], report["broken"]) == (2, 2)
    assert {(e["line"], e["field"]) for e in report["errors"]} == {(3, "email"), (4, "locale")}
    assert (await api.get(f"/v1/contacts/{uid}-10")).json()["attributes"] == {"plan": "pro"}

    r = await api.post("/v1/contacts:import", content=b"email,name\na@example.com,A\n",
                       headers={"content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "customer_id", r.text

    program = f"p{uid}"
    for link, why in (("https://forms.example.com/s", "{token}"), ("http://forms.example.com/?t={token}", "https")):
        r = await api.put(f"/v1/programs/{program}/survey-plan", json={"link_template": link})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "link_template", r.text
        assert why in r.json()["errors"][0]["message"]
    r = await api.put(f"/v1/programs/{program}/survey-plan", json={"link_template": "https://f.example.com/?t={token}",
                                                                   "window_start": "18:00", "window_end": "09:00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "window_end", r.text
    r = await api.put(f"/v1/programs/{program}/survey-plan", json={"link_template": "https://f.example.com/?t={token}"})
    assert r.status_code == 200 and r.json()["cadence"] == "monthly"
    assert (await api.delete(f"/v1/programs/{program}/survey-plan")).status_code == 204
    assert (await api.get(f"/v1/programs/{program}/survey-plan")).status_code == 404


# -- a month ------------------------------------------------------------------------------------

ZONES = ("Europe/Madrid", "America/Santiago", "Asia/Tokyo")


async def test_a_month_is_planned_once_per_customer_inside_each_local_window_across_dst(api, plans, tap, uid):
    """March 2027: Europe moves its clocks on the 28th. Every customer gets one invitation for the
    period, due on their own calendar inside 09:00–18:00 local time, with a signed link."""
    invitations_topic = await tap(Topic.INVITATIONS)
    contacts = [{"customer_id": f"{uid}-{i:02d}", "email": f"c{i}@example.com", "time_zone": ZONES[i % 3]}
                for i in range(18)]
    assert (await api.post("/v1/contacts:batch", json={"contacts": contacts})).json()["upserted"] == 18
    plan = await plans(f"m{uid}", channel="event_only", reminder_after_days=3, expire_after_days=7)
    zone_of = {c["customer_id"]: ZoneInfo(c["time_zone"]) for c in contacts}

    moment = datetime(2027, 3, 1, 4, tzinfo=UTC)  # March 1st in every zone: February is not planned
    while moment < datetime(2027, 4, 1, 12, tzinfo=UTC):
        await at(api, moment)
        moment += timedelta(hours=4)

    mine = [i for i in await invitations(api, program=plan.program) if i["customer_id"].startswith(uid)]
    march = [i for i in mine if i["period_key"] == "2027-03"]
    assert sorted(i["customer_id"] for i in march) == sorted(zone_of), "one invitation per customer and period"
    keys = TokenKeys([TOKEN_KEY])
    due_events = {e.data["invitation_id"]: e for e in await invitations_topic.wait_for(
        EventType.SURVEY_DUE, count=18, program=plan.program, period_key="2027-03")}
    for inv in march:
        due_at = datetime.fromisoformat(inv["due_at"]).astimezone(zone_of[inv["customer_id"]])
        assert due_at.date().month == 3 and 9 <= due_at.hour < 18, (inv, due_at)
        assert inv["status"] in ("due", "reminded", "expired"), inv
        event = due_events[inv["invitation_id"]]
        token = event.data["link"].split("t=")[1].split("&")[0]
        assert verify(keys, token, now=datetime(2027, 3, 1, tzinfo=UTC)).invitation_id == inv["invitation_id"]
        assert inv["customer_id"] not in event.data["link"], "no personal data in the link"
        if inv["reminded_at"]:
            assert datetime.fromisoformat(inv["reminded_at"]) - datetime.fromisoformat(inv["due_at"]) >= \
                timedelta(days=3) - timedelta(hours=4)
    assert any(i["status"] == "expired" for i in march) and any(i["reminded_at"] for i in march)
    # Even over the days: 18 customers cannot all land on a handful of dates.
    assert len({datetime.fromisoformat(i["due_at"]).date() for i in march}) >= 8
