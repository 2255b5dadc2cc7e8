"""The loop closed by the planner, through every service: a detractor's case is answered by the
company, the planner invites the customer to the follow-up on its own, the customer answers
through ingest with the case id, and the case closes; a follow-up that expires unanswered shows
on the case's timeline (casework consumes `lazo.survey.followup_expired`)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.contracts.invitations import SurveyInvitation
from shared.events import Envelope, EventType, Topic
from tests.support import poll, raw_producer
from tests.test_casework import detail_when, the_case, walk_to_responded

PROGRAM = "default"


@pytest.fixture
async def planner(system):
    async with system.client("surveys", "manager") as client:
        # Open all day, so an invitation falls due at once whenever the suite runs; anchored on the
        # day a customer joined, so only the customers a test makes join today are surveyed.
        r = await client.put(
            f"/v1/programs/{PROGRAM}/survey-plan",
            json={
                "link_template": "https://forms.example.com/s?t={token}&case={case_id}",
                "channel": "event_only",
                "window_start": "00:00",
                "window_end": "23:59",
                "anchor": "0 days after customer_since",
            },
        )
        assert r.status_code == 200, r.text
        yield client
        await client.delete(f"/v1/programs/{PROGRAM}/survey-plan")


async def test_the_planner_sends_the_follow_up_that_closes_the_case(system, tap, planner, uid):
    invitations = await tap(Topic.INVITATIONS)
    customer = f"C-{uid}"
    assert (
        await planner.post("/v1/contacts", json={"customer_id": customer, "email": "luis@example.com", "locale": "es"})
    ).status_code == 200
    async with system.client("ingest", "ingest") as ingest, system.client("casework", "agent") as agent:
        r = await ingest.post(
            "/v1/responses",
            json={
                "response_id": f"r-{uid}",
                "program": PROGRAM,
                "customer": {"id": customer, "email": "luis@example.com"},
                "touchpoint": "web",
                "answers": {"experience": 2, "worth": 3, "recommend": 2},
                "comment": "La web no funciona",
            },
        )
        assert r.status_code == 202, r.text
        case_id = (await the_case(agent, customer))["case_id"]
        await walk_to_responded(agent, case_id)

        async def follow_up():
            items = (await planner.get("/v1/invitations", params={"case_id": case_id})).json()["items"]
            return items[0] if items else None

        invitation = await poll(follow_up, timeout=60, what="the follow-up invitation")
        assert invitation["kind"] == "follow_up" and invitation["customer_id"] == customer
        assert (await planner.post("/v1/planner/runs")).status_code == 200
        [due] = await invitations.wait_for(EventType.SURVEY_DUE, case_id=case_id)
        assert f"case={case_id}" in due.data["link"] and due.data["customer"]["email"] == "luis@example.com"

        # The customer answers the form the link opened; the platform sends the case id along.
        r = await ingest.post(
            "/v1/responses",
            json={
                "response_id": f"f-{uid}",
                "program": PROGRAM,
                "customer": {"id": customer},
                "case_id": case_id,
                "answers": {"experience": 9, "worth": 9, "recommend": 10},
            },
        )
        assert r.status_code == 202, r.text
        case = await detail_when(agent, case_id, lambda b: b["status"] == "closed", "the case closed")
        assert case["timeline"][-1]["response_id"] == f"f-{uid}"
        [answered] = await invitations.wait_for(EventType.SURVEY_RESPONDED, case_id=case_id)
        assert answered.data["response_id"] == f"f-{uid}" and answered.data["seconds_to_respond"] >= 0


async def test_an_answer_carrying_the_invitation_token_is_tied_to_its_invitation(system, tap, planner, uid):
    invitations = await tap(Topic.INVITATIONS)
    customer = f"C-{uid}"
    today = datetime.now(UTC).date().isoformat()
    r = await planner.post(
        "/v1/contacts", json={"customer_id": customer, "email": "eva@example.com", "customer_since": today}
    )
    assert r.status_code == 200, r.text
    assert (await planner.post("/v1/planner/runs")).status_code == 200
    [due] = await invitations.wait_for(EventType.SURVEY_DUE, customer_id=customer)
    token = parse_qs(urlsplit(due.data["link"]).query)["t"][0]
    async with system.client("ingest", "ingest") as ingest:
        # The form returned the token as a hidden field; the platform's mapping puts it here.
        r = await ingest.post(
            "/v1/responses",
            json={
                "response_id": f"r-{uid}",
                "program": PROGRAM,
                "customer": {"id": customer},
                "invitation_token": token,
                "answers": {"experience": 8, "worth": 8, "recommend": 9},
            },
        )
        assert r.status_code == 202, r.text
        r = await ingest.post(
            "/v1/responses",
            json={
                "response_id": f"x-{uid}",
                "program": PROGRAM,
                "customer": {"id": customer},
                "invitation_token": "not a token",
                "answers": {"experience": 8, "worth": 8, "recommend": 9},
            },
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "invitation_token", r.text
    [answered] = await invitations.wait_for(EventType.SURVEY_RESPONDED, customer_id=customer)
    assert answered.data["invitation_id"] == due.data["invitation_id"] and answered.data["response_id"] == f"r-{uid}"


async def test_an_unanswered_follow_up_shows_on_the_case(system, uid):
    customer = f"C-{uid}"
    async with system.client("ingest", "ingest") as ingest, system.client("casework", "agent") as agent:
        r = await ingest.post(
            "/v1/responses",
            json={
                "response_id": f"r-{uid}",
                "program": PROGRAM,
                "customer": {"id": customer},
                "answers": {"experience": 1, "worth": 2, "recommend": 1},
                "comment": "Fatal",
            },
        )
        assert r.status_code == 202, r.text
        case_id = (await the_case(agent, customer))["case_id"]
        await walk_to_responded(agent, case_id)
        # As the planner publishes it when the follow-up's expiry passes unanswered.
        data = SurveyInvitation(
            invitation_id=f"inv_{uid}",
            customer_id=customer,
            program=PROGRAM,
            kind="follow_up",
            period_key=f"case:{case_id}",
            channel="email",
            status="expired",
            at=datetime.now(UTC),
            case_id=case_id,
        )
        producer = await raw_producer(system.broker.bootstrap)
        try:
            event = Envelope.new(
                id=f"survey:inv_{uid}:9",
                type=EventType.SURVEY_FOLLOWUP_EXPIRED,
                source="/lazo/surveys",
                subject=customer,
                data=data,
            )
            await producer.send_and_wait(Topic.INVITATIONS, event.to_bytes(), key=event.key)
        finally:
            await producer.stop()
        case = await detail_when(
            agent,
            case_id,
            lambda b: b["timeline"][-1]["type"] == "follow_up_expired",
            "the expired follow-up on the timeline",
        )
        assert case["status"] == "responded" and f"inv_{uid}" in case["timeline"][-1]["note"]
