"""The survey planner through HTTP and Kafka: contacts, plans, a month planned across time zones
and a DST change on a manual clock, contact rules with their reasons, the case follow-up that
closes the loop (answered, or expired and told to the case), the sending tool's reports,
one-click unsubscribe, two replicas, and the figures.

Only surveys runs (with the broker): casework's and scoring's events are produced here as they
would be. The clock is manual (LAZO_SURVEYS_CLOCK=manual): each test sets it, so months pass in
seconds. Plans are removed when a test ends; each test's contacts carry its own prefix.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.contracts.cases import CaseEvent
from shared.contracts.scores import ScoreComputed
from shared.events import Envelope, EventType, Topic
from services.surveys.domain.tokens import TokenKeys, verify
from tests.harness import System
from tests.support import Tap, poll, raw_producer

TOKEN_KEY = "surveys-test-token-key-0123456789abcdef"
UTC = UTC


@pytest.fixture(scope="module")
def surveys(tmp_path_factory):
    sys_ = System(
        tmp_path_factory.mktemp("surveys"),
        services=("surveys",),
        extra_env={
            "LAZO_SURVEYS_CLOCK": "manual",
            "LAZO_PLANNER_EVERY_S": "3600",
            "LAZO_SURVEY_TOKEN_KEYS": TOKEN_KEY,
            "LAZO_SURVEYS_PUBLIC_URL": "https://surveys.test",
        },
    )
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
    data = CaseEvent(case_id=case_id, customer_id=customer_id, program=program, status=status, at=datetime.now(UTC))
    return Envelope.new(id=f"case:{case_id}:{seq}", type=kind, source="/lazo/casework", subject=customer_id, data=data)


# -- input ---------------------------------------------------------------------------------------


async def test_contacts_csv_and_plans_refuse_what_is_broken_naming_the_field(api, uid):
    r = await api.post("/v1/contacts", json={"customer_id": f"{uid}-1", "email": "not-an-address"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "email", r.text

    r = await api.post(
        "/v1/contacts:batch",
        json={
            "contacts": [
                {"customer_id": f"{uid}-1", "email": "ana@example.com", "time_zone": "europe/madrid"},
                {"customer_id": f"{uid}-2", "time_zone": "Mars/Olympus"},
                {"customer_id": f"{uid}-3", "locale": "English"},
            ]
        },
    )
    assert r.status_code == 200, r.text
    batch = r.json()
    assert (batch["upserted"], batch["rejected"]) == (2, 1)
    assert batch["items"][1]["status"] == "rejected"
    assert batch["items"][1]["errors"][0]["field"] == "contacts[1].time_zone"
    r = await api.get(f"/v1/contacts/{uid}-1")
    assert r.json()["time_zone"] == "Europe/Madrid" and r.json()["email"] == "ana@example.com"

    csv = (
        f"id;correo;idioma;zona_horaria;plan\n"
        f"{uid}-10;luis@example.com;es;America/Santiago;pro\n"
        f"{uid}-11;broken@;en;UTC;basic\n"
        f"{uid}-12;eva@example.com;fr;UTC;basic\n"
        f"{uid}-13;;en;Asia/Tokyo;basic\n"
    )
    r = await api.post("/v1/contacts:import", content=csv.encode(), headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["imported"], report["broken"]) == (2, 2)
    assert {(e["line"], e["field"]) for e in report["errors"]} == {(3, "email"), (4, "locale")}
    assert (await api.get(f"/v1/contacts/{uid}-10")).json()["attributes"] == {"plan": "pro"}

    r = await api.post(
        "/v1/contacts:import", content=b"email,name\na@example.com,A\n", headers={"content-type": "text/csv"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "customer_id", r.text

    program = f"p{uid}"
    for link, why in (("https://forms.example.com/s", "{token}"), ("http://forms.example.com/?t={token}", "https")):
        r = await api.put(f"/v1/programs/{program}/survey-plan", json={"link_template": link})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "link_template", r.text
        assert why in r.json()["errors"][0]["message"]
    r = await api.put(
        f"/v1/programs/{program}/survey-plan",
        json={"link_template": "https://f.example.com/?t={token}", "window_start": "18:00", "window_end": "09:00"},
    )
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
    contacts = [
        {"customer_id": f"{uid}-{i:02d}", "email": f"c{i}@example.com", "time_zone": ZONES[i % 3]} for i in range(18)
    ]
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
    due_events = {
        e.data["invitation_id"]: e
        for e in await invitations_topic.wait_for(
            EventType.SURVEY_DUE, count=18, program=plan.program, period_key="2027-03"
        )
    }
    for inv in march:
        due_at = datetime.fromisoformat(inv["due_at"]).astimezone(zone_of[inv["customer_id"]])
        assert due_at.date().month == 3 and 9 <= due_at.hour < 18, (inv, due_at)
        assert inv["status"] in ("due", "reminded", "expired"), inv
        event = due_events[inv["invitation_id"]]
        token = event.data["link"].split("t=")[1].split("&")[0]
        assert verify(keys, token, now=datetime(2027, 3, 1, tzinfo=UTC)).invitation_id == inv["invitation_id"]
        assert inv["customer_id"] not in event.data["link"], "no personal data in the link"
        if inv["reminded_at"]:
            assert datetime.fromisoformat(inv["reminded_at"]) - datetime.fromisoformat(inv["due_at"]) >= timedelta(
                days=3
            ) - timedelta(hours=4)
    assert any(i["status"] == "expired" for i in march) and any(i["reminded_at"] for i in march)
    # Even over the days: 18 customers cannot all land on a handful of dates.
    assert len({datetime.fromisoformat(i["due_at"]).date() for i in march}) >= 8


# -- rules -------------------------------------------------------------------------------------


async def month(api, start: datetime, days: int) -> None:
    """A round at noon UTC each day (inside the default 09:00–18:00 UTC window)."""
    for day in range(days):
        await at(api, start + timedelta(days=day, hours=12))


async def test_contact_rules_suppress_and_record_the_reason(api, plans, tap, produce, uid):
    invitations_topic = await tap(Topic.INVITATIONS)
    c = {name: f"{uid}-{name}" for name in ("ok", "unsub", "webhook_only", "no_email", "case")}
    since = "2027-06-25"  # the plans are anchored on it: each invitation's day is known
    assert (
        await api.post(
            "/v1/contacts:batch",
            json={
                "contacts": [
                    {"customer_id": c["ok"], "email": "ok@example.com", "customer_since": since},
                    {
                        "customer_id": c["unsub"],
                        "email": "u@example.com",
                        "unsubscribed_at": "2027-01-01T00:00:00Z",
                        "customer_since": since,
                    },
                    {
                        "customer_id": c["webhook_only"],
                        "email": "w@example.com",
                        "consent": ["webhook"],
                        "customer_since": since,
                    },
                    {"customer_id": c["no_email"], "customer_since": since},
                    {"customer_id": c["case"], "email": "case@example.com", "customer_since": since},
                ]
            },
        )
    ).json()["upserted"] == 5
    first = await plans(f"a{uid}", channel="email", anchor="0 days after customer_since")
    # A case is being worked for one customer; its responded state makes the follow-up visible,
    # which says the consumer has the case.
    await produce(Topic.CASES, case_event(EventType.CASE_OPENED, f"case-{uid}", c["case"], first.program, "open", 1))
    await produce(
        Topic.CASES, case_event(EventType.CASE_TRANSITIONED, f"case-{uid}", c["case"], first.program, "responded", 2)
    )
    await poll(lambda: invitations(api, case_id=f"case-{uid}"), what="the case's follow-up")

    start = datetime(2027, 6, 20, tzinfo=UTC)
    await month(api, start, 10)
    # A second programme's invitation on July 5th: 10 days after the first one went out.
    second = await plans(f"b{uid}", channel="email", anchor="10 days after customer_since")
    await api.delete(f"/v1/programs/{first.program}/survey-plan")
    await month(api, start + timedelta(days=10), 10)

    def by_customer(items):
        return {i["customer_id"]: i for i in items if i["customer_id"].startswith(uid) and i["kind"] == "survey"}

    june = by_customer(await invitations(api, program=first.program))
    assert june[c["ok"]]["status"] in ("sent", "reminded", "expired") and june[c["ok"]]["period_key"] == "2027-06"
    assert june[c["unsub"]]["reason"] == "unsubscribed"
    assert june[c["webhook_only"]]["reason"] == "no_consent"
    assert june[c["no_email"]]["reason"] == "no_address"
    assert june[c["case"]]["reason"] == "open_case"
    july = by_customer(await invitations(api, program=second.program))
    assert july[c["ok"]]["reason"] == "contact_frequency" and july[c["ok"]]["period_key"] == "2027-07"
    events = await invitations_topic.wait_for(EventType.SURVEY_SUPPRESSED, count=4, program=first.program)
    assert {e.data["reason"] for e in events} >= {"unsubscribed", "no_consent", "no_address", "open_case"}
    # The follow-up is not held back by its own open case.
    follow_up = (await invitations(api, case_id=f"case-{uid}"))[0]
    assert follow_up["kind"] == "follow_up" and follow_up["status"] != "suppressed", follow_up
    # A manager exports the programme's invitations: the same ones, with their reasons, as CSV and NDJSON.
    exported = await api.get("/v1/exports/invitations", params={"program": first.program, "format": "ndjson"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in exported.text.splitlines()]
    listed = await invitations(api, program=first.program)
    assert {r["invitation_id"] for r in rows} == {i["invitation_id"] for i in listed}
    assert {r["customer_id"]: r["reason"] for r in rows if r["kind"] == "survey"}[c["no_email"]] == "no_address"
    as_csv = await api.get("/v1/exports/invitations", params={"program": first.program})
    assert as_csv.status_code == 200 and as_csv.text.splitlines()[0].startswith("invitation_id,customer_id")
    assert len(as_csv.text.strip().splitlines()) == len(rows) + 1


# -- the follow-up ------------------------------------------------------------------------------


def score_event(response_id: str, customer_id: str, program: str, case_id: str | None = None) -> Envelope:
    data = ScoreComputed(
        response_id=response_id,
        customer_id=customer_id,
        program=program,
        iec=9.0,
        segment="wow",
        submitted_at=datetime.now(UTC),
        case_id=case_id,
    )
    return Envelope.new(
        id=f"score:{response_id}", type=EventType.SCORE_COMPUTED, source="/lazo/scoring", subject=customer_id, data=data
    )


async def test_a_responded_case_gets_its_follow_up_answered_or_expired_and_told(api, plans, tap, produce, uid):
    invitations_topic = await tap(Topic.INVITATIONS)
    answered, silent = f"{uid}-answered", f"{uid}-silent"
    await api.post(
        "/v1/contacts:batch",
        json={
            "contacts": [
                {"customer_id": answered, "email": "a@example.com"},
                {"customer_id": silent, "email": "s@example.com"},
            ]
        },
    )
    plan = await plans(f"f{uid}", channel="event_only", reminder_after_days=2, expire_after_days=5)
    start = datetime(2027, 9, 1, 10, tzinfo=UTC)
    await api.put("/v1/clock", json={"now": start.isoformat()})
    for customer in (answered, silent):
        case_id = f"case-{customer}"
        await produce(Topic.CASES, case_event(EventType.CASE_OPENED, case_id, customer, plan.program, "open", 1))
        await produce(
            Topic.CASES, case_event(EventType.CASE_TRANSITIONED, case_id, customer, plan.program, "responded", 2)
        )
        # Redelivered: still one follow-up per case.
        await produce(
            Topic.CASES, case_event(EventType.CASE_TRANSITIONED, case_id, customer, plan.program, "responded", 2)
        )
    await poll(lambda: _count(api, kind="follow_up", program=plan.program, want=2), what="two follow-ups")
    await at(api, start)
    due = await invitations_topic.wait_for(EventType.SURVEY_DUE, count=2, program=plan.program, kind="follow_up")
    link = next(e for e in due if e.data["customer_id"] == answered).data["link"]
    assert f"case=case-{answered}" in link

    await produce(Topic.SCORES, score_event(f"r-{uid}", answered, plan.program, case_id=f"case-{answered}"))
    done = await invitations_topic.wait_for(EventType.SURVEY_RESPONDED, program=plan.program)
    assert done[0].data["case_id"] == f"case-{answered}" and done[0].data["seconds_to_respond"] is not None

    await at(api, start + timedelta(days=2, hours=1))
    await at(api, start + timedelta(days=5, hours=1))
    expired = await invitations_topic.wait_for(EventType.SURVEY_FOLLOWUP_EXPIRED, program=plan.program)
    assert expired[0].data["case_id"] == f"case-{silent}" and expired[0].subject == silent
    follow_ups = {i["customer_id"]: i for i in await invitations(api, program=plan.program, kind="follow_up")}
    assert follow_ups[answered]["status"] == "responded" and follow_ups[answered]["response_id"] == f"r-{uid}"
    assert follow_ups[silent]["status"] == "expired" and follow_ups[silent]["reminded_at"]

    kpis = (await api.get("/v1/surveys/kpis", params={"program": plan.program})).json()
    assert kpis["follow_ups"] == {"due": 2, "responded": 1, "expired": 1, "response_rate": 0.5}


async def _count(api, want: int, **query) -> bool:
    return len(await invitations(api, **query)) == want


# -- reports, bounces, unsubscribing ------------------------------------------------------------


async def test_the_sending_tool_reports_and_the_customer_unsubscribes_in_one_click(surveys, api, plans, tap, uid):
    invitations_topic = await tap(Topic.INVITATIONS)
    people = {n: f"{uid}-{n}" for n in ("opens", "bounces", "leaves", "nowhere")}
    await api.post(
        "/v1/contacts:batch",
        json={
            "contacts": [
                {"customer_id": people["opens"], "email": "o@example.com", "locale": "en"},
                {"customer_id": people["bounces"], "email": "b@example.com"},
                {"customer_id": people["leaves"], "email": "l@example.com"},
                {"customer_id": people["nowhere"]},
            ]
        },
    )
    plan = await plans(f"s{uid}", channel="email", reminder_after_days=40, expire_after_days=60)
    await month(api, datetime(2027, 11, 1, tzinfo=UTC), 30)
    mine = {
        i["customer_id"]: i for i in await invitations(api, program=plan.program) if i["customer_id"].startswith(uid)
    }
    assert {mine[p]["status"] for p in ("opens", "bounces", "leaves") for p in [people[p]]} == {"sent"}

    reports = surveys.client("surveys", "ingest")  # the company's tool reports with a machine key
    async with reports:
        r = await reports.post(
            f"/v1/invitations/{mine[people['opens']]['invitation_id']}/reports", json={"event": "opened"}
        )
        assert r.status_code == 200 and r.json()["opened_at"], r.text
        r = await reports.post(
            f"/v1/invitations/{mine[people['opens']]['invitation_id']}/reports", json={"event": "sent"}
        )
        assert r.status_code == 200, "a late report changes nothing and is no error"
        r = await reports.post(
            f"/v1/invitations/{mine[people['bounces']]['invitation_id']}/reports",
            json={"event": "bounced", "detail": "550 no such user"},
        )
        assert r.status_code == 200 and r.json()["status"] == "bounced", r.text
        r = await reports.post(
            f"/v1/invitations/{mine[people['nowhere']]['invitation_id']}/reports", json={"event": "sent"}
        )
        assert r.status_code == 409 and "suppressed" in r.json()["detail"], r.text
        r = await reports.post(
            f"/v1/invitations/{mine[people['opens']]['invitation_id']}/reports", json={"event": "delivered"}
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event"
    assert (await api.get(f"/v1/contacts/{people['bounces']}")).json()["bounced"] == ["email"]

    due = await invitations_topic.wait_for(
        EventType.SURVEY_DUE, program=plan.program, invitation_id=mine[people["leaves"]]["invitation_id"]
    )
    assert due[0].data["customer"]["email"] == "l@example.com"
    unsubscribe = due[0].data["unsubscribe_link"]
    assert unsubscribe.startswith("https://surveys.test/u/")
    path = unsubscribe.removeprefix("https://surveys.test")
    async with surveys.client("surveys", role=None) as public:  # the customer has no key
        page = await public.get(path)
        assert page.status_code == 200 and '<form method="post">' in page.text
        assert (await api.get(f"/v1/contacts/{people['leaves']}")).json()["unsubscribed_at"] is None, (
            "opening the page (a link scanner) unsubscribes nobody"
        )
        r = await public.post(
            path, content=b"List-Unsubscribe=One-Click", headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert r.status_code == 200, r.text
        assert (await public.post(path[:-2] + "xx")).status_code == 404
    assert (await api.get(f"/v1/contacts/{people['leaves']}")).json()["unsubscribed_at"]


# -- two replicas -------------------------------------------------------------------------------


async def test_two_planner_replicas_invite_each_customer_once(surveys, api, plans, uid):
    contacts = [{"customer_id": f"{uid}-{i:03d}", "email": f"r{i}@example.com"} for i in range(60)]
    await api.post("/v1/contacts:batch", json={"contacts": contacts})
    plan = await plans(f"x{uid}", channel="event_only")
    replica = surveys.spawn("surveys")
    replica.wait_ready()
    try:
        async with surveys.client("surveys", "manager") as one, httpx_client(replica.url) as two:
            moment = datetime(2028, 1, 1, tzinfo=UTC)
            for day in range(31):
                now = (moment + timedelta(days=day, hours=12)).isoformat()
                for client in (one, two):
                    assert (await client.put("/v1/clock", json={"now": now})).status_code == 200
                answers = await asyncio.gather(one.post("/v1/planner/runs"), two.post("/v1/planner/runs"))
                assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
    finally:
        replica.stop()
    mine = [i for i in await invitations(api, program=plan.program) if i["customer_id"].startswith(uid)]
    assert sorted(i["customer_id"] for i in mine) == sorted(c["customer_id"] for c in contacts)


def httpx_client(url: str):
    import httpx

    from tests.harness import KEYS

    return httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {KEYS['manager']}"}, timeout=15)


# -- a kill mid-round ---------------------------------------------------------------------------


async def test_a_planner_killed_mid_round_neither_loses_nor_doubles_an_invitation(surveys, api, plans, uid):
    contacts = [{"customer_id": f"{uid}-{i:05d}", "email": f"k{i}@example.com"} for i in range(3000)]
    for start in range(0, len(contacts), 1000):
        r = await api.post("/v1/contacts:batch", json={"contacts": contacts[start : start + 1000]})
        assert r.json()["upserted"] == 1000
    plan = await plans(f"k{uid}", channel="event_only")
    moment = datetime(2028, 3, 1, 12, tzinfo=UTC).isoformat()
    assert (await api.put("/v1/clock", json={"now": moment})).status_code == 200
    round_ = asyncio.create_task(api.post("/v1/planner/runs"))
    await poll(lambda: invitations_count(api, plan.program), timeout=60, interval=0.02, what="the round under way")
    surveys["surveys"].kill()  # SIGKILL, mid-round
    await asyncio.gather(round_, return_exceptions=True)
    surveys["surveys"].start().wait_ready()
    # The clock is the process's: set it again, and plan where the killed round stopped.
    assert (await api.put("/v1/clock", json={"now": moment})).status_code == 200

    async def planned() -> bool:
        r = await api.post("/v1/planner/runs")
        assert r.status_code in (200, 409), r.text
        return r.status_code == 200  # 409 until the dead process's lease has run out

    await poll(planned, timeout=90, interval=1, what="a round once the killed planner's lease ran out")
    mine = [i for i in await invitations(api, program=plan.program) if i["customer_id"].startswith(uid)]
    assert len(mine) == len({i["customer_id"] for i in mine}) == len(contacts)


async def invitations_count(api, program: str) -> int:
    return (await api.get("/v1/invitations", params={"program": program, "limit": 1})).json()["total"]
